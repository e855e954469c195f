SELECT window(event_time, '30 minutes').start, count(*) FROM system.access.audit GROUP BY 1
