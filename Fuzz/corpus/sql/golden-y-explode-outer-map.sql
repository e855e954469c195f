-- ordered
SELECT event_id, explode_outer(map_keys(request_params)) AS k
FROM system.access.audit WHERE service_name IN ('genie', 'notebook') ORDER BY event_id, k
