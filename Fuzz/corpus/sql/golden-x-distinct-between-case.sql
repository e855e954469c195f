-- ordered
SELECT DISTINCT workspace_id,
  CASE response.status_code WHEN 200 THEN 'ok' WHEN 401 THEN 'unauthorized' ELSE 'other' END AS outcome,
  response.status_code BETWEEN 400 AND 499 AS client_error
FROM system.access.audit WHERE response IS NOT NULL AND workspace_id NOT IN ('0')
ORDER BY workspace_id, outcome
