-- ordered
SELECT event_date, workspace_id, request_params['request_object_id'] as app,
  user_identity['email'] as sharing_user, acl_entry['group_name'], acl_entry['user_name'], acl_entry['permission_level']
FROM system.access.audit t
LATERAL VIEW explode(from_json(request_params['access_control_list'],
  'array<struct<user_name:string,permission_level:string,group_name:string>>')) acl_entry AS acl_entry
WHERE action_name = 'changeAppsAcl' AND request_params['request_object_type'] = 'apps'
ORDER BY event_date DESC, app, sharing_user, acl_entry['user_name'] NULLS FIRST
