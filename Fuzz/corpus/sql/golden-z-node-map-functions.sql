-- ordered
SELECT instance_id, start_time, disk_free_bytes_per_mount_point['/'] AS root_free,
  disk_free_bytes_per_mount_point['/local_disk0'] AS local_free, size(disk_free_bytes_per_mount_point) AS mounts,
  map_keys(disk_free_bytes_per_mount_point) AS mount_points, array_max(map_values(disk_free_bytes_per_mount_point)) AS biggest,
  disk_free_bytes_per_mount_point, end_time - INTERVAL 1 MINUTE = start_time AS one_minute,
  hour(start_time) AS hour, mem_swap_percent IS NULL AS no_swap
FROM system.compute.node_timeline WHERE cluster_id = '0101-abc-c1' AND start_time >= current_timestamp() - INTERVAL 6 DAYS
ORDER BY start_time, instance_id
