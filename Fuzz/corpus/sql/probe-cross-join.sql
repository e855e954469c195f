SELECT count(*) FROM system.access.audit a, system.access.audit b, system.access.audit c
