SELECT user_identity.email as `User`, IFNULL(request_params.full_name_arg, request_params.name) AS `Table`,
  action_name AS `Type of Access`, event_time AS `Time of Access`
FROM system.access.audit
WHERE (request_params.full_name_arg = 'main.sales.orders'
  OR (request_params.name = 'orders' AND request_params.schema_name = 'sales'))
  AND action_name IN ('createTable','getTable','deleteTable')
  AND event_date > now() - interval '1 day'
ORDER BY event_date DESC
