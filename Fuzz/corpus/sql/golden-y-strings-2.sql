-- ordered
SELECT event_id, substring(user_identity.email, 0, 3) AS s0, substring(user_identity.email, -5, 2) AS sneg,
  split(request_id, '-', 2) AS split_limit, regexp_extract(request_id, '([A-Za-z]+)-(\\d+)', 0) AS whole,
  regexp_replace(user_identity.email, '@.*', '@redacted') AS redacted, instr(user_identity.email, '@') AS at_pos,
  upper(substr(action_name, 1, 1)) || lower(substr(action_name, 2)) AS capitalised, length(NULL) AS len_null,
  ltrim('  x ') AS lt, rtrim(' x  ') AS rt, trim(user_agent) = user_agent AS trimmed,
  user_identity.email LIKE '%x.com' AS like_suffix, user_identity.email LIKE 'A%' AS like_case,
  user_identity.email ILIKE 'A%' AS ilike_case, action_name RLIKE '^(create|delete)' AS rl
FROM system.access.audit WHERE service_name IN ('apps', 'unityCatalog') ORDER BY event_id LIMIT 12
