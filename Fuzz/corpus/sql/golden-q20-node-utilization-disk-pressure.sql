SELECT cluster_id, CAST(start_time AS DATE) AS d, AVG(mem_used_percent), MAX(mem_swap_percent),
  MIN(array_min(map_values(disk_free_bytes_per_mount_point)) / 1e9) AS min_disk_free_gb
FROM system.compute.node_timeline
WHERE start_time >= current_timestamp() - INTERVAL 30 DAYS GROUP BY 1, 2
