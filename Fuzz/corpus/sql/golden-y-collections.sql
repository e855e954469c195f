-- ordered
SELECT user_identity.email AS email, sort_array(collect_set(action_name)) AS actions,
  sort_array(collect_list(service_name), false) AS services_desc, array_sort(collect_list(workspace_id)) AS workspaces,
  size(array_distinct(collect_list(service_name))) AS distinct_services, count_if(response.status_code >= 400) AS failures,
  concat_ws(', ', sort_array(collect_set(source_ip_address))) AS ips, concat_ws('/', user_identity.email, NULL, 'x') AS joined,
  array_distinct(split('a,b,a,c,b', ',')) AS dedup
FROM system.access.audit WHERE user_identity.email IS NOT NULL
GROUP BY user_identity.email ORDER BY email
