-- ordered
SELECT request_params.request_object_id AS app, pos, entry.user_name, entry.permission_level
FROM system.access.audit
LATERAL VIEW OUTER posexplode(from_json(request_params.access_control_list, 'array<struct<user_name:string,permission_level:string>>')) p AS pos, entry
WHERE action_name = 'changeAppsAcl'
ORDER BY app, pos NULLS FIRST
