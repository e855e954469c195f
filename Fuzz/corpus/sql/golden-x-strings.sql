-- ordered
SELECT event_id, lower(action_name) AS l, upper(service_name) AS u, concat(service_name, ':', action_name) AS c,
  substring(action_name, 1, 6) AS s1, substr(action_name, -3) AS s2, length(action_name) AS len,
  split(source_ip_address, '\\.') AS parts, regexp_extract(user_identity.email, '([a-z]+)@(.*)', 2) AS domain,
  trim('  padded  ') AS t, service_name || '/' || action_name AS piped,
  action_name LIKE 'change%' AS is_change, action_name ILIKE 'CHANGE%' AS is_change_ci, action_name RLIKE 'Acl$' AS ends_acl,
  coalesce(user_identity.email, user_identity.subject_name, 'unknown') AS who, nvl(response.error_message, '-') AS err,
  CAST(response.status_code AS STRING) AS code_text, CAST('42' AS INT) + 1 AS answer
FROM system.access.audit WHERE event_date >= '2026-11-18'
ORDER BY event_id
