SELECT cluster_id, mount, round(min(free) / 1024 / 1024 / 1024, 2) AS min_free_gib, count(*) AS samples,
  max(free) AS max_free
FROM system.compute.node_timeline LATERAL VIEW explode(disk_free_bytes_per_mount_point) d AS mount, free
GROUP BY cluster_id, mount
