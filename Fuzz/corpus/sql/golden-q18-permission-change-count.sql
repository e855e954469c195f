SELECT COUNT(*) AS permission_changes FROM system.access.audit
WHERE event_date >= current_date() - INTERVAL 30 DAYS
  AND action_name IN ('changePermissions','updatePermissions','changeClusterAcl','changeDbTokenAcl','grantPermission','revokePermission')
