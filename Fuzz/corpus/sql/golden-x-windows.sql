-- ordered
SELECT user_identity.email AS email, event_time,
  row_number() OVER (PARTITION BY user_identity.email ORDER BY event_time) AS n,
  rank() OVER (ORDER BY event_date DESC) AS r,
  dense_rank() OVER (ORDER BY event_date DESC) AS dr,
  lag(action_name) OVER (PARTITION BY user_identity.email ORDER BY event_time) AS previous_action,
  lead(action_name, 1, 'none') OVER (PARTITION BY user_identity.email ORDER BY event_time) AS next_action,
  count(*) OVER (PARTITION BY user_identity.email) AS per_user,
  sum(response.status_code) OVER (PARTITION BY user_identity.email ORDER BY event_time ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
FROM system.access.audit WHERE service_name = 'accounts'
ORDER BY email, event_time
