SELECT event_time, workspace_id, user_identity.email, request_params.workspaceConfKeys,
  request_params.workspaceConfValues, source_ip_address
FROM system.access.audit WHERE action_name = 'workspaceConfEdit' ORDER BY event_time DESC
