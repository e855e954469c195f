-- ordered
WITH creators AS (
  SELECT get_json_object(request_params.app, '$.name') AS app, user_identity.email AS creator
  FROM system.access.audit WHERE action_name = 'createApp'
), sharers AS (
  SELECT request_params.request_object_id AS app, user_identity.email AS sharer
  FROM system.access.audit WHERE action_name = 'changeAppsAcl'
)
SELECT c.app, c.creator, s.sharer, 'joined' AS kind FROM creators c JOIN sharers s ON c.app = s.app
UNION ALL
SELECT c.app, c.creator, s.sharer, 'left' FROM creators c LEFT JOIN sharers s ON c.app = s.app WHERE s.app IS NULL
UNION ALL
SELECT app, NULL, sharer, 'in' FROM sharers WHERE app IN (SELECT app FROM creators)
UNION ALL
SELECT 'total', CAST((SELECT count(*) FROM creators) AS STRING), NULL, 'scalar'
ORDER BY kind, app, sharer NULLS FIRST
