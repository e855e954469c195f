SELECT get_json_object('[[[[[[1]]]]]]', '$[0][0][0][0][0][0]'), from_json('{"a":99999999999}', 'struct<a:int>'), to_json(map_keys(disk_free_bytes_per_mount_point)) FROM system.compute.node_timeline
