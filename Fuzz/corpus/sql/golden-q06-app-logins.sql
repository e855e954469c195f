SELECT event_date, workspace_id, request_params.request_object_id as app,
  user_identity.email as user_email, user_identity.subject_name as username
FROM system.access.audit
WHERE action_name IN ("workspaceInHouseOAuthClientAuthentication", "mintOAuthToken", "mintOAuthAuthorizationCode", "changeAppsAcl")
  -- AND request_params["client_id"] LIKE "{{application-ID}}"
GROUP BY event_date, workspace_id, app, user_email, username
