-- ordered
SELECT t.table_schema, t.table_name, t.table_type, t.table_owner, count(p.grantee) AS grants,
  count(DISTINCT p.grantee) AS grantees, sort_array(collect_set(p.privilege_type)) AS privileges
FROM system.information_schema.tables t
LEFT JOIN system.information_schema.table_privileges p ON p.table_schema = t.table_schema AND p.table_name = t.table_name
GROUP BY 1, 2, 3, 4 ORDER BY 1, 2
