SELECT action_name as `EVENT`, event_time as `WHEN`,
  IFNULL(request_params.full_name_arg, 'Non-specific') AS `TABLE ACCESSED`,
  IFNULL(request_params.commandText,'GET table') AS `QUERY TEXT`
FROM system.access.audit
WHERE user_identity.email = 'analyst@x.com'
  AND action_name IN ('createTable','commandSubmit','getTable','deleteTable')
  AND datediff(now(), event_date) < 1
ORDER BY event_date DESC
