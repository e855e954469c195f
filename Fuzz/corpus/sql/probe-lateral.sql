SELECT event_id, part FROM system.access.audit LATERAL VIEW OUTER posexplode(split(user_agent, ' ')) p AS pos, part
