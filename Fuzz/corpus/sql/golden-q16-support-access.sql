SELECT event_time, workspace_id, user_identity.email, action_name, request_params, source_ip_address
FROM system.access.audit WHERE service_name = 'genie' AND action_name = 'databricksAccess' ORDER BY event_time DESC
