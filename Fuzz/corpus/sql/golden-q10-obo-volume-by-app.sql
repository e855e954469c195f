WITH obo_events AS (
  SELECT event_date, workspace_id, audit_level, identity_metadata.acting_resource AS app_id,
    user_identity.email AS user_email, service_name, action_name
  FROM system.access.audit
  WHERE event_date >= current_date() - 30 AND identity_metadata.acting_resource IS NOT NULL)
SELECT event_date, app_id, user_email, service_name, action_name, audit_level, COUNT(*) AS event_count
FROM obo_events GROUP BY event_date, app_id, user_email, service_name, action_name, audit_level
ORDER BY event_date DESC
