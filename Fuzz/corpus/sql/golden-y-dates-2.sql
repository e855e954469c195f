-- ordered
SELECT event_id, event_time > '2026-11-19 00:00:00' AS after_text, event_date BETWEEN '2026-11-15' AND '2026-11-18' AS in_range,
  to_date('20/11/2026', 'dd/MM/yyyy') AS parsed, unix_timestamp('2026-11-20 10:00:00', 'yyyy-MM-dd HH:mm:ss') AS ux,
  from_unixtime(1795176000, 'yyyy/MM/dd HH:mm') AS fmt, date_format(event_time, 'EEE, dd MMM yyyy hh:mm a') AS pretty,
  date_format(event_date, 'D') AS day_of_year, date_trunc('WEEK', event_time) AS week_start, date_trunc('QUARTER', event_time) AS quarter_start,
  datediff(event_date, '2026-01-01') AS since_new_year, date_add(event_date, -1) AS yesterday,
  event_time + INTERVAL 90 MINUTES AS later, event_date + 1 AS tomorrow, CAST(event_time AS STRING) AS ts_text,
  CAST('2026-11-20T10:15:30.5Z' AS TIMESTAMP) AS parsed_ts
FROM system.access.audit WHERE service_name = 'accounts' ORDER BY event_id LIMIT 10
