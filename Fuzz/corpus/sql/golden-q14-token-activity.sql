-- ordered
SELECT event_time, workspace_id, user_identity.email, request_params.user, request_params.tokenId, source_ip_address
FROM system.access.audit WHERE action_name IN ('tokenLogin', 'generateDbToken') ORDER BY event_time DESC
