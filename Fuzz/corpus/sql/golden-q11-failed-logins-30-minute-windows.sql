SELECT window(event_time, '30 minutes'), request_params.user, response.status_code, count(*) AS total
FROM system.access.audit
WHERE service_name = 'accounts' AND action_name IN ('login', 'tokenLogin') AND response.status_code <> 200
GROUP BY 1, 2, 3 ORDER BY window DESC
