-- ordered
SELECT cluster_id, instance_id, start_time, cpu_user_percent + cpu_system_percent AS cpu, driver, node_type
FROM system.compute.node_timeline
WHERE driver AND start_time >= current_timestamp() - INTERVAL 7 DAYS AND cpu_user_percent + cpu_system_percent > 40
ORDER BY cpu DESC, instance_id
