SELECT array_distinct(split(action_name, '')), sort_array(collect_set(service_name)), array_min(map_values(disk_free_bytes_per_mount_point)) FROM system.compute.node_timeline GROUP BY action_name
