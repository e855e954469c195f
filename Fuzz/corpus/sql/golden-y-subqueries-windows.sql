-- ordered
SELECT action_name, n, rank() OVER (ORDER BY n DESC, action_name) AS r,
  sum(n) OVER (ORDER BY n DESC, action_name ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative,
  round(n * 100.0 / sum(n) OVER (), 1) AS pct,
  lag(action_name, 2) OVER (ORDER BY n DESC, action_name) AS two_before
FROM (SELECT action_name, count(*) AS n FROM system.access.audit GROUP BY action_name) counts
WHERE n >= (SELECT min(c) FROM (SELECT count(*) AS c FROM system.access.audit GROUP BY service_name))
  AND EXISTS (SELECT 1 FROM system.access.audit x WHERE x.action_name = counts.action_name AND x.response.status_code = 200)
ORDER BY r
