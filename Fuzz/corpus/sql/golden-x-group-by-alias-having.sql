-- ordered
SELECT lower(service_name) AS svc, event_date AS day, count(*) AS n
FROM system.access.audit
GROUP BY svc, day
HAVING n >= 2
ORDER BY day DESC, svc
LIMIT 5
