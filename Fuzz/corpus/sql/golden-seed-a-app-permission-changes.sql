-- ordered
WITH permission_changes AS (
SELECT event_date, workspace_id, request_params.request_object_id AS app_name, user_identity.email AS modified_by,
explode(from_json(request_params.access_control_list, 'array<struct<user_name:string,group_name:string,permission_level:string>>')) AS permission
FROM system.access.audit
WHERE action_name = 'changeAppsAcl' AND event_date >= current_date() - 30
)
SELECT event_date, app_name, modified_by, permission.user_name, permission.group_name, permission.permission_level
FROM permission_changes
ORDER BY event_date DESC
