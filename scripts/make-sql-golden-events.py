#!/usr/bin/env python3
"""Writes Tests/SQLGolden/events.ndjson: the fixed audit data set the SQL golden tests run on.

Deterministic (no randomness, fixed dates around 2026-11-20), in the system.access.audit table shape, so the
same file loads into Vigil and into Spark (scripts/spark-golden) to compare results.
"""
import json
import sys
from datetime import datetime, timedelta, timezone

TODAY = datetime(2026, 11, 20, 12, 0, 0, tzinfo=timezone.utc)
ACCOUNT = "23e22ba4-87b9-4cc2-9770-d10b894b0001"
events = []


def add(n, days_ago, hour, service, action, email=None, params=None, status=200, error=None, workspace="1001",
        ip="10.0.0.1", acting=None, result=None, user_identity=True, response=True, subject=None, level="WORKSPACE_LEVEL"):
    t = (TODAY - timedelta(days=days_ago)).replace(hour=hour, minute=(n * 7) % 60, second=n % 60,
                                                   microsecond=(n * 37 % 1000) * 1000)
    event = {
        "account_id": ACCOUNT,
        "workspace_id": workspace,
        "version": "2.0",
        "event_time": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
        "event_date": t.strftime("%Y-%m-%d"),
        "source_ip_address": ip,
        "user_agent": "Apache-HttpClient/4.5.13 (Java/1.8.0_345)",
        "session_id": f"session-{n % 5}",
        "user_identity": {"email": email, "subject_name": subject} if user_identity else None,
        "service_name": service,
        "action_name": action,
        "request_id": f"ServiceMain-{4529754264 + n}",
        "request_params": params or {},
        "response": {"status_code": status, "error_message": error, "result": result} if response else None,
        "audit_level": level,
        "event_id": f"{n:032x}",
        "identity_metadata": {"run_by": None, "run_as": None, "acting_resource": acting} if acting else None,
    }
    events.append(event)


def acl(entries):
    return json.dumps(entries, separators=(",", ":"))


n = 1
# Seed A: app permission changes.
add(n, 0, 9, "apps", "changeAppsAcl", "alice@x.com", {
    "request_object_type": "apps", "request_object_id": "sales-app",
    "access_control_list": acl([{"user_name": "bob@x.com", "permission_level": "CAN_USE"},
                                {"group_name": "analysts", "permission_level": "CAN_MANAGE"}])}); n += 1
add(n, 3, 14, "apps", "changeAppsAcl", "carol@x.com", {
    "request_object_type": "apps", "request_object_id": "hr-app",
    "access_control_list": acl([{"service_principal_name": "etl-bot", "permission_level": "CAN_USE"}])}); n += 1
add(n, 10, 22, "apps", "changeAppsAcl", "alice@x.com", {
    "request_object_type": "apps", "request_object_id": "ops-app",
    "access_control_list": acl({"user_name": "dave@x.com", "permission_level": "CAN_MANAGE"})}); n += 1
add(n, 12, 8, "apps", "changeAppsAcl", "bob@x.com", {
    "request_object_type": "apps", "request_object_id": "broken-app",
    "access_control_list": "not json"}); n += 1
add(n, 15, 8, "apps", "changeAppsAcl", "bob@x.com", {
    "request_object_type": "apps", "request_object_id": "empty-app", "access_control_list": "[]"}); n += 1
add(n, 45, 8, "apps", "changeAppsAcl", "alice@x.com", {
    "request_object_type": "apps", "request_object_id": "old-app",
    "access_control_list": acl([{"user_name": "erin@x.com", "permission_level": "CAN_USE"}])}); n += 1
add(n, 30, 23, "apps", "changeAppsAcl", "alice@x.com", {
    "request_object_type": "apps", "request_object_id": "edge-app",
    "access_control_list": acl([{"user_name": "frank@x.com", "permission_level": "CAN_USE", "extra": 1}])}); n += 1
# Seed B: apps with user API scopes.
add(n, 1, 10, "apps", "createApp", "alice@x.com", {
    "app": json.dumps({"name": "sales-app", "description": "Sales", "user_api_scopes": ["sql", "iam.current-user:read"]},
                      separators=(",", ":"))}); n += 1
add(n, 2, 11, "apps", "createApp", "bob@x.com", {
    "app": json.dumps({"name": "plain-app", "description": "no scopes"}, separators=(",", ":"))}); n += 1
add(n, 4, 12, "apps", "updateApp", "carol@x.com", {
    "app": json.dumps({"name": "hr-app", "user_api_scopes": []}, separators=(",", ":"))}); n += 1
add(n, 5, 13, "apps", "updateApp", "carol@x.com", {
    "app": json.dumps({"name": "null-app", "user_api_scopes": None}, separators=(",", ":"))}); n += 1
add(n, 40, 13, "apps", "createApp", "dave@x.com", {
    "app": json.dumps({"name": "ancient-app", "user_api_scopes": ["files"]}, separators=(",", ":"))}); n += 1
add(n, 6, 9, "apps", "createApp", "erin@x.com", {
    "app": json.dumps({"name": "nested-app", "user_api_scopes": ["sql"], "resources": [{"name": "wh", "sql_warehouse": {"id": "abc", "permission": "CAN_USE"}}]}, separators=(",", ":"))}); n += 1
add(n, 0, 3, "apps", "deleteApp", "erin@x.com", {"name": "nested-app"}); n += 1
# Logins and failed logins.
for i in range(12):
    ok = i % 3 != 0
    add(n, i % 4, 2 + (i % 5) * 5, "accounts", "login" if i % 2 == 0 else "tokenLogin",
        f"user{i % 4}@x.com", {"user": f"user{i % 4}@x.com", "authenticationMethod": "API_INT_PAT_TOKEN", "tokenId": f"tok{i % 3}"},
        status=200 if ok else 401, error=None if ok else "Invalid credentials", workspace="1001" if i % 2 else "1002",
        ip=f"10.0.1.{i}"); n += 1
# Table access.
for i, (action, name) in enumerate([("getTable", "main.sales.orders"), ("getTable", "main.sales.customers"),
                                    ("createTable", "main.hr.people"), ("deleteTable", "main.sales.orders"),
                                    ("getTable", "main.sales.orders")]):
    add(n, i % 2, 15, "unityCatalog", action, "analyst@x.com" if i % 2 else "alice@x.com",
        {"full_name_arg": name, "name": name.split(".")[2], "schema_name": name.split(".")[1], "catalog_name": "main",
         "workspace_id": "1001", "metastore_id": "ms-1"}, level="ACCOUNT_LEVEL", workspace="0"); n += 1
add(n, 0, 16, "databrickssql", "commandSubmit", "analyst@x.com",
    {"commandText": "SELECT * FROM main.sales.orders", "warehouseId": "wh1", "commandId": "c1"}); n += 1
add(n, 2, 17, "unityCatalog", "updatePermissions", "alice@x.com",
    {"securable_type": "table", "securable_full_name": "main.sales.orders",
     "changes": acl([{"principal": "analysts", "add": ["SELECT"]}])}, level="ACCOUNT_LEVEL", workspace="0"); n += 1
add(n, 1, 20, "accounts", "setAdmin", "root@x.com", {"targetUserName": "carol@x.com"}); n += 1
add(n, 1, 21, "accounts", "removeAdmin", "root@x.com", {"targetUserName": "bob@x.com"}); n += 1
add(n, 3, 6, "accounts", "createIpAccessList", "root@x.com", {"ipAccessListId": "ipl-1", "label": "office"}); n += 1
add(n, 3, 7, "accounts", "deleteIpAccessList", "root@x.com", {"ipAccessListId": "ipl-1"}, status=403,
    error="PERMISSION_DENIED"); n += 1
add(n, 8, 5, "workspace", "workspaceConfEdit", "root@x.com",
    {"workspaceConfKeys": "enableVerboseAuditLogs", "workspaceConfValues": "true"}); n += 1
add(n, 9, 4, "genie", "databricksAccess", None, {"user": "support@databricks.com"}, user_identity=False); n += 1
add(n, 2, 9, "clusters", "changeClusterAcl", "alice@x.com", {"cluster_id": "c-1", "aclPermissionSet": "CAN_MANAGE"}); n += 1
add(n, 2, 10, "jobs", "changeJobAcl", "bob@x.com",
    {"job_id": "42", "access_control_list": acl([{"group_name": "ops", "permission_level": "CAN_MANAGE_RUN"}])}); n += 1
add(n, 4, 19, "accounts", "generateDbToken", "bob@x.com", {"tokenId": "tok9", "user": "bob@x.com"}); n += 1
# On-behalf-of events.
for i in range(6):
    add(n, i % 3, 12, "unityCatalog", "getTable" if i % 2 else "listTables", f"user{i % 2}@x.com",
        {"full_name_arg": "main.sales.orders"}, acting=("app-123" if i < 4 else "app-456")); n += 1
# Rows with null structs and odd values.
add(n, 0, 23, "notebook", "runCommand", "dave@x.com", {"notebookId": "77", "commandText": "display(df)"},
    response=False); n += 1
add(n, 0, 0, "notebook", "runCommand", "dave@x.com", {"notebookId": "78", "commandText": "print('x')", "executionTime": "1.5"},
    result="ok"); n += 1
add(n, 1, 1, "clusters", "create", None, {"cluster_name": "a,b \"quoted\"", "num_workers": "4"},
    user_identity=True, subject="svc-principal", workspace="1003"); n += 1

out = open(sys.argv[1], "w") if len(sys.argv) > 1 else sys.stdout
for event in events:
    out.write(json.dumps(event, separators=(",", ":")) + "\n")
