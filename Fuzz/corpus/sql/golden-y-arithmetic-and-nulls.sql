-- ordered
SELECT event_id, response.status_code / 100 AS div, response.status_code % 7 AS mod, response.status_code DIV 3 AS idiv,
  response.status_code * 2 + 1 AS expr, -response.status_code AS neg, CAST(response.status_code AS DOUBLE) / 8 AS frac,
  concat('x', response.error_message) AS concat_null, coalesce(response.error_message, 'none') AS err,
  response.error_message IS NULL AS no_error, response.status_code IN (401, NULL) AS in_null,
  response.status_code NOT IN (200, 401) AS not_in, response.status_code <=> 401 AS null_safe,
  nullif(response.status_code, 200) AS nullif_ok, greatest(response.status_code, 300, NULL) AS greatest_v,
  least(response.status_code, 300) AS least_v, abs(-response.status_code) AS abs_v, round(response.status_code / 7, 0) AS r1,
  round(response.status_code / 3.0, 2) AS r2, CASE WHEN response.status_code > 300 THEN 'bad' END AS no_else,
  if(response.status_code = 200, 'ok', 'ko') AS if_v
FROM system.access.audit WHERE service_name = 'accounts' AND response IS NOT NULL
ORDER BY event_id
