SELECT service_name, count(*), count(DISTINCT user_identity.email) AS users, sum(response.status_code) AS status_sum,
  avg(response.status_code) AS avg_status, min(event_time) AS first_seen, max(event_date) AS last_day,
  approx_count_distinct(source_ip_address) AS ips, size(collect_set(action_name)) AS distinct_actions,
  size(collect_list(user_identity.email)) AS emails
FROM system.access.audit GROUP BY service_name HAVING count(*) > 1
