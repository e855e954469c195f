#!/usr/bin/env python3
"""Writes Tests/SQLGolden/node_timeline.ndjson: a small, fixed system.compute.node_timeline data set for the SQL
golden cases. Deterministic (no randomness), so re-running it yields the same file:

    python3 scripts/make-sql-golden-nodes.py Tests/SQLGolden/node_timeline.ndjson

Three clusters in two workspaces, a driver and workers each, one-minute samples on days spread around the golden
clock (2026-11-20 12:00 UTC), some older than 30 days; a few rows with NULL metrics, a NULL and an empty disk map.
"""
import json
import sys
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CLUSTERS = [
    # cluster id, workspace, node type, instances (instance id, driver)
    ("0101-abc-c1", "1001", "i3.xlarge", [("i-c1-driver", True), ("i-c1-w1", False), ("i-c1-w2", False)]),
    ("0102-def-c2", "1001", "m5.2xlarge", [("i-c2-driver", True), ("i-c2-w1", False)]),
    ("0103-ghi-c3", "1002", "r5.large", [("i-c3-driver", True)]),
]
DAYS_AGO = [0, 1, 6, 29, 31, 45]


def ts(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


rows = []
n = 0
for ci, (cluster, workspace, node_type, instances) in enumerate(CLUSTERS):
    for di, days in enumerate(DAYS_AGO):
        for ii, (instance, driver) in enumerate(instances):
            n += 1
            start = NOW - timedelta(days=days, hours=(ci * 3 + ii) % 7, minutes=(di * 13 + ii * 7) % 60)
            gib = 1 << 30
            row = {
                "account_id": "23e22ba4-87b9-4cc2-9770-d10b894b0001",
                "workspace_id": workspace,
                "cluster_id": cluster,
                "instance_id": instance,
                "start_time": ts(start),
                "end_time": ts(start + timedelta(minutes=1)),
                "driver": driver,
                "cpu_user_percent": round(5 + (n * 17) % 90 + 0.25 * ii, 2),
                "cpu_system_percent": round(1 + (n * 7) % 20 + 0.5, 2),
                "cpu_wait_percent": round((n * 3) % 10 * 0.75, 2),
                "mem_used_percent": round(20 + (n * 11) % 75 + 0.125, 3),
                "mem_swap_percent": round((n * 5) % 12 * 0.5, 2),
                "network_sent_bytes": 1000 * n * n + 17 * ii,
                "network_received_bytes": 2500 * n + 3 * di,
                "disk_free_bytes_per_mount_point": {
                    "/": (20 + (n * 3) % 40) * gib + n,
                    "/local_disk0": (100 + (n * 29) % 300) * gib,
                    "/var/lib/lxc": (5 + n % 9) * gib // 2,
                },
                "node_type": node_type,
            }
            rows.append(row)

# Odd rows: missing metrics, a NULL disk map, an empty one, a single mount point.
rows[3]["mem_swap_percent"] = None
rows[3]["cpu_wait_percent"] = None
rows[5]["disk_free_bytes_per_mount_point"] = None
rows[8]["disk_free_bytes_per_mount_point"] = {}
rows[11]["disk_free_bytes_per_mount_point"] = {"/": 3 * (1 << 30)}
rows[14]["node_type"] = None
rows[20]["driver"] = None

out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout
for row in rows:
    out.write(json.dumps({k: v for k, v in row.items()}, separators=(",", ":")) + "\n")
