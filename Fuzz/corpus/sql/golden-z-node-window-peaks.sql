WITH ranked AS (
  SELECT cluster_id, instance_id, start_time, mem_used_percent,
    rank() OVER (PARTITION BY cluster_id ORDER BY mem_used_percent DESC) AS r,
    avg(mem_used_percent) OVER (PARTITION BY cluster_id) AS cluster_avg
  FROM system.compute.node_timeline)
SELECT cluster_id, instance_id, start_time, mem_used_percent, round(cluster_avg, 3) AS cluster_avg
FROM ranked WHERE r <= 2
