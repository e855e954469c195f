-- ordered
SELECT event_id, get_json_object(request_params.app, '$.resources[0].sql_warehouse.id') AS warehouse,
  get_json_object(request_params.app, '$.user_api_scopes[1]') AS second_scope,
  get_json_object(request_params.app, '$.resources') AS resources,
  get_json_object(request_params.app, '$.missing') AS missing,
  size(from_json(request_params.app, 'struct<name:string,user_api_scopes:array<string>>').user_api_scopes) AS scope_count,
  array_contains(from_json(request_params.app, 'struct<user_api_scopes:array<string>>').user_api_scopes, 'sql') AS has_sql,
  to_json(from_json(request_params.app, 'struct<name:string,description:string>')) AS reencoded,
  from_json(request_params.app, 'map<string,string>')['name'] AS name_from_map,
  size(request_params) AS param_count, map_keys(request_params) AS param_keys
FROM system.access.audit WHERE action_name IN ('createApp', 'updateApp')
ORDER BY event_id
