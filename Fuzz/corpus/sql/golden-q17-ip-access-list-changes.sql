SELECT event_time, action_name, CASE WHEN response.status_code = 200 THEN 'Success' ELSE 'Failure' END AS outcome,
  user_identity.email, source_ip_address, request_params['ipAccessListId'], request_params
FROM system.access.audit
WHERE service_name = 'accounts' AND action_name IN ('createIpAccessList','updateIpAccessList','deleteIpAccessList')
