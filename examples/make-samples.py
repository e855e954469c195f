#!/usr/bin/env python3
"""Writes the README's sample files: examples/events.ndjson (audit events in the system.access.audit table shape:
logins that succeed and fail, apps created with on-behalf-of scopes, app permission changes, cluster and SQL
activity) and examples/nodes.ndjson (node_timeline rows of two clusters), dated over the SEVEN days before
--now (default: now), so the README's 30-day queries find them. Deterministic for a given --now.

Usage: python3 examples/make-samples.py [--now 2026-12-01T12:00:00Z] [--events 2000]
"""
import argparse
import datetime
import json
import os
import random

USERS = ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com", "erin@example.com"]
APPS = ["sales-app", "ops-dashboard", "hr-bot"]
SCOPES = [["sql"], ["sql", "iam.current-user:read"], [], ["files.files"]]


def event(n, when, rng):
    user = rng.choice(USERS)
    ip = f"10.0.{n % 4}.{10 + n % 40}"
    kind = rng.random()
    base = {"event_id": f"sample-{n:05d}", "workspace_id": rng.choice(["1001", "1002"]), "account_id": "a1",
            "event_time": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
            "source_ip_address": ip, "user_agent": "Mozilla/5.0", "user_identity": {"email": user}}
    if kind < 0.35:
        ok = rng.random() > 0.15
        return {**base, "service_name": "accounts", "action_name": "login",
                "request_params": {"user": user, "authenticationMethod": "PASSWORD"},
                "response": {"status_code": 200 if ok else 401, "error_message": None if ok else "invalid credentials"}}
    if kind < 0.45:
        app = {"name": rng.choice(APPS), "description": "sample", "user_api_scopes": rng.choice(SCOPES)}
        return {**base, "service_name": "apps", "action_name": rng.choice(["createApp", "updateApp"]),
                "request_params": {"app": json.dumps(app, separators=(",", ":"))}, "response": {"status_code": 200}}
    if kind < 0.55:
        acl = [{"user_name": rng.choice(USERS), "permission_level": rng.choice(["CAN_USE", "CAN_MANAGE"])},
               {"group_name": "users", "permission_level": "CAN_USE"}]
        return {**base, "service_name": "apps", "action_name": "changeAppsAcl",
                "request_params": {"request_object_id": rng.choice(APPS), "access_control_list": json.dumps(acl, separators=(",", ":"))},
                "response": {"status_code": 200}}
    if kind < 0.8:
        return {**base, "service_name": "clusters", "action_name": rng.choice(["create", "start", "delete", "edit"]),
                "request_params": {"cluster_id": f"0101-{n % 7:06d}", "cluster_name": f"etl-{n % 7}"},
                "response": {"status_code": 200}}
    return {**base, "service_name": "databrickssql", "action_name": "commandSubmit",
            "request_params": {"commandText": "SELECT * FROM sales LIMIT 10", "warehouseId": "w1"},
            "response": {"status_code": rng.choice([200, 200, 200, 403])}}


def node(cluster, instance, start, rng, driver):
    end = start + datetime.timedelta(minutes=1)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"workspace_id": "1001", "account_id": "a1", "cluster_id": cluster, "instance_id": instance,
            "start_time": stamp(start), "end_time": stamp(end), "driver": driver, "node_type": "m5.xlarge",
            "cpu_user_percent": round(rng.uniform(5, 90), 1), "cpu_system_percent": round(rng.uniform(1, 10), 1),
            "cpu_wait_percent": round(rng.uniform(0, 5), 1), "mem_used_percent": round(rng.uniform(30, 95), 1),
            "mem_swap_percent": round(rng.uniform(0, 3), 1), "network_sent_bytes": rng.randrange(10**6, 10**8),
            "network_received_bytes": rng.randrange(10**6, 10**8),
            "disk_free_bytes_per_mount_point": {"/": rng.randrange(5, 60) << 30, "/local_disk0": rng.randrange(20, 400) << 30}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--now", default=None, help="RFC 3339 instant the samples end at (default: now)")
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    now = (datetime.datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now
           else datetime.datetime.now(datetime.timezone.utc)).replace(microsecond=0)
    rng = random.Random(7)
    folder = os.path.dirname(os.path.abspath(__file__))
    span = datetime.timedelta(days=7)
    with open(os.path.join(folder, "events.ndjson"), "w") as out:
        for n in range(args.events):
            when = now - span + span * (n / args.events) + datetime.timedelta(milliseconds=rng.randrange(1000))
            out.write(json.dumps(event(n, min(when, now), rng), separators=(",", ":")) + "\n")
    with open(os.path.join(folder, "nodes.ndjson"), "w") as out:
        for cluster, instances in [("0101-abc123", ["i-1", "i-2", "i-3"]), ("0202-def456", ["i-7", "i-8"])]:
            for minute in range(0, 7 * 24 * 60, 60):
                start = now - span + datetime.timedelta(minutes=minute)
                for index, instance in enumerate(instances):
                    out.write(json.dumps(node(cluster, instance, start, rng, index == 0), separators=(",", ":")) + "\n")
    print(f"wrote {args.events} events to examples/events.ndjson and node rows to examples/nodes.ndjson, ending {now.isoformat()}")


if __name__ == "__main__":
    main()
