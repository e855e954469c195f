-- ordered
SELECT event_time, user_identity.email, request_params.securable_type, request_params.securable_full_name,
  request_params.changes
FROM system.access.audit
WHERE service_name = 'unityCatalog' AND action_name = 'updatePermissions'
ORDER BY 1 DESC
