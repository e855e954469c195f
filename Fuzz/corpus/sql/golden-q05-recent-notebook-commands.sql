-- ordered
SELECT event_time, mask(user_identity.email), request_params.commandText
FROM system.access.audit WHERE action_name = 'runCommand' ORDER BY event_time DESC LIMIT 100
