-- ordered
SELECT grantee, sort_array(collect_set(privilege_type)) AS privileges, count(*) AS rows,
  max(privilege_type = 'MANAGE') AS can_manage
FROM system.information_schema.table_privileges WHERE table_schema = 'access' AND table_name = 'audit'
GROUP BY grantee ORDER BY grantee
