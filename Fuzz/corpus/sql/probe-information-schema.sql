SELECT grantee, privilege_type FROM system.information_schema.table_privileges WHERE table_name = 'audit' UNION SELECT table_owner, 'OWNER' FROM system.information_schema.tables
