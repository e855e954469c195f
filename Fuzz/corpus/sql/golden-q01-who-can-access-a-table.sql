SELECT DISTINCT(grantee) AS `ACCESSIBLE BY` FROM system.information_schema.table_privileges
WHERE table_schema = 'access' AND table_name = 'audit'
UNION SELECT table_owner FROM system.information_schema.tables
WHERE table_schema = 'access' AND table_name = 'audit'
UNION SELECT DISTINCT(grantee) FROM system.information_schema.schema_privileges WHERE schema_name = 'access'
