SELECT workspace_id, COUNT(DISTINCT user_identity.email) AS user_count FROM system.access.audit
WHERE service_name = 'accounts' AND action_name = 'login' GROUP BY workspace_id
