-- ordered
SELECT user_identity.email AS email, count(*) AS n, count(response.error_message) AS with_error,
  min(response.status_code) AS lo, max(response.status_code) AS hi, sum(CASE WHEN response.status_code >= 400 THEN 1 ELSE 0 END) AS failures,
  avg(response.status_code) AS avg_status, count(DISTINCT action_name) AS actions
FROM system.access.audit
GROUP BY user_identity.email
HAVING count(*) >= 1
ORDER BY failures DESC, email NULLS FIRST
