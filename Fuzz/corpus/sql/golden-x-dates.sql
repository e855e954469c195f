-- ordered
SELECT event_id, event_date, date_sub(event_date, 3) AS minus3, date_add(event_date, 1) AS plus1,
  datediff(current_date(), event_date) AS age, date_trunc('HOUR', event_time) AS hour_start,
  date_trunc('MONTH', event_time) AS month_start, date_format(event_time, 'yyyy-MM-dd HH:mm') AS formatted,
  hour(event_time) AS h, dayofweek(event_date) AS dow, to_date('2026-11-01') AS d,
  from_unixtime(unix_timestamp(event_time)) AS roundtrip, unix_timestamp(event_time) AS epoch,
  event_time - INTERVAL 36 HOURS AS earlier, event_date - INTERVAL 2 DAYS AS two_days_before,
  CAST(event_time AS DATE) AS as_date, CAST(event_date AS TIMESTAMP) AS midnight, month(event_date) AS m, year(event_date) AS y
FROM system.access.audit WHERE service_name = 'apps'
ORDER BY event_id
