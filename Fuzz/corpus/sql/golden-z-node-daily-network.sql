-- ordered
SELECT date_trunc('DAY', start_time) AS day, workspace_id, sum(network_sent_bytes) AS sent,
  sum(network_received_bytes) AS received, count(DISTINCT instance_id) AS instances,
  avg(cpu_wait_percent) AS avg_wait, count(cpu_wait_percent) AS wait_samples, count(*) AS samples,
  sum(CASE WHEN driver THEN 1 ELSE 0 END) AS driver_samples, count_if(driver IS NULL) AS unknown_role
FROM system.compute.node_timeline
GROUP BY 1, 2 ORDER BY 1 DESC, 2
