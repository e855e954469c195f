SELECT p.grantee, count(a.event_id) AS reads_last_30_days
FROM system.information_schema.table_privileges p
LEFT JOIN system.access.audit a ON a.user_identity.email = p.grantee AND a.event_date >= current_date() - 30
WHERE p.table_name = 'audit' AND p.privilege_type = 'SELECT'
GROUP BY p.grantee
