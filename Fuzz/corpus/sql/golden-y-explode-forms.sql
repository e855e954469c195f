-- ordered
SELECT request_params.request_object_id AS app, posexplode(from_json(request_params.access_control_list, 'array<struct<user_name:string,permission_level:string>>')) AS (i, entry)
FROM system.access.audit WHERE action_name = 'changeAppsAcl'
ORDER BY app, i
