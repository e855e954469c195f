-- ordered
SELECT event_time, workspace_id, user_identity.email, action_name, request_params, source_ip_address
FROM system.access.audit WHERE action_name IN ('setAdmin', 'removeAdmin') ORDER BY event_time DESC
