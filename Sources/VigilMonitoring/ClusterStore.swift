import Foundation
import GRDB
import VigilCore
import VigilStore

/// The cluster registry (migration 007). Every change is one transaction that loads the cluster's machine, applies
/// one input, and stores the machine, the events it caused, and (for create, edit and delete) a row of
/// `system.compute.clusters`: a cluster's state and its event history never disagree.
public struct ClusterStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock
    /// `workspace_id` of clusters created here (the server's `--workspace-id`).
    public let workspaceID: String

    /// The permissions object type of clusters (`/api/2.0/permissions/clusters/{cluster_id}`).
    public static let objectType = "clusters"

    public init(database: VigilDatabase, clock: any WallClock = SystemWallClock(), workspaceID: String = "0") {
        self.database = database
        self.clock = clock
        self.workspaceID = workspaceID
    }

    /// Creates a cluster (with `clusterID`, or a new Databricks-shaped id) and grants `creator` CAN_MANAGE on it.
    public func create(_ spec: ClusterSpec, creator: Principal, clusterID: String? = nil, source: String = "API") async throws -> ClusterRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            try Self.create(db, spec, creator: creator, clusterID: clusterID ?? ClusterID.make(millis: now), source: source, workspaceID: workspaceID, now: now)
        }
    }

    static func create(_ db: Database, _ spec: ClusterSpec, creator: Principal, clusterID: String, source: String, workspaceID: String,
                       now: Int64) throws -> ClusterRecord {
        if try Row.fetchOne(db, sql: "SELECT 1 FROM clusters WHERE cluster_id = ?", arguments: [clusterID]) != nil {
            throw VigilError(.resourceAlreadyExists, "Cluster \(clusterID) already exists")
        }
        var machine = ClusterMachine(targetWorkers: spec.targetWorkers)
        let events = try machine.apply(.created(user: creator.userName, attributes: spec.json), at: now)
        try db.execute(sql: """
            INSERT INTO clusters(cluster_id, workspace_id, spec, creator, cluster_source, create_time, start_time, state, state_message, target_workers)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [clusterID, workspaceID, JSONWriter.text(of: .object(spec.json)), creator.userName, source, now, now,
                             machine.state.rawValue, machine.stateMessage, machine.targetWorkers])
        try db.execute(sql: "DELETE FROM permissions WHERE object_type = ? AND object_id = ?", arguments: [objectType, clusterID])
        try db.execute(sql: """
            INSERT INTO permissions(object_type, object_id, principal_id, group_id, permission_level, granted_time)
            VALUES (?, ?, ?, NULL, 'CAN_MANAGE', ?)
            """, arguments: [objectType, clusterID, creator.id, now])
        guard var record = try fetch(db, clusterID) else { throw VigilError(.internal, "the new cluster was not stored") }
        record.machine = machine
        try store(db, record, events: events, at: now)
        try recordChange(db, record, at: now)
        return record
    }

    public func get(_ clusterID: String) async throws -> ClusterRecord? {
        try await database.pool.read { db in try Self.fetch(db, clusterID) }
    }

    /// Clusters in creation order after row `after` (exclusive), at most `limit`, keeping only those `include` admits.
    public func page(after: Int64?, limit: Int, include: @Sendable (ClusterRecord) -> Bool) async throws -> (clusters: [ClusterRecord], more: Bool) {
        try await database.pool.read { db in
            var found: [ClusterRecord] = []
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM clusters WHERE id > ? ORDER BY id", arguments: [after ?? 0])
            while let row = try cursor.next() {
                let record = try Self.record(db, row)
                guard include(record) else { continue }
                if found.count == limit { return (found, true) }
                found.append(record)
            }
            return (found, false)
        }
    }

    /// Every cluster (metrics, the monitor's tick).
    public func all() async throws -> [ClusterRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM clusters ORDER BY id").map { try Self.record(db, $0) }
        }
    }

    /// Replaces the spec (Databricks' edit), by `user`.
    public func edit(_ clusterID: String, to spec: ClusterSpec, user: String) async throws -> ClusterRecord {
        try await change(clusterID, systemTableRow: true) { record in
            let previous = record.spec.json
            record.spec = spec
            return .edited(user: user, targetWorkers: spec.targetWorkers, attributes: spec.json, previousAttributes: previous)
        }
    }

    public func start(_ clusterID: String, user: String) async throws -> ClusterRecord {
        let now = clock.nowMillis()
        return try await change(clusterID) { record in
            record.startMillis = now
            record.terminatedMillis = nil
            record.terminationReason = nil
            return .started(user: user)
        }
    }

    public func restart(_ clusterID: String, user: String) async throws -> ClusterRecord {
        let now = clock.nowMillis()
        return try await change(clusterID) { record in
            record.lastRestartedMillis = now
            return .restarted(user: user)
        }
    }

    /// Databricks' `delete`: the cluster is terminated and stays listed (TERMINATED) with its events.
    public func terminate(_ clusterID: String, user: String) async throws -> ClusterRecord {
        let now = clock.nowMillis()
        return try await change(clusterID, systemTableRow: true) { record in
            record.terminatedMillis = now
            record.terminationReason = JSONWriter.text(of: ClusterMachine.reason("USER_REQUEST", "SUCCESS", [("username", user)]))
            return .terminated(user: user)
        }
    }

    /// Applies one agent report and stores its node_timeline rows, in one transaction. A cluster that does not exist
    /// is registered when `register` gives its creator (the caller may create clusters); otherwise not found.
    public func heartbeat(_ heartbeat: Heartbeat, rows: [NodeTimelineRow], register: (spec: ClusterSpec, creator: Principal)?) async throws
        -> (record: ClusterRecord, created: Bool, rows: NodeTimelineStore.InsertResult)
    {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            var created = false
            var record: ClusterRecord
            if let found = try Self.fetch(db, heartbeat.clusterID) {
                record = found
            } else if let register {
                record = try Self.create(db, register.spec, creator: register.creator, clusterID: heartbeat.clusterID, source: "AGENT",
                                         workspaceID: workspaceID, now: now)
                created = true
            } else {
                throw Self.notFound(heartbeat.clusterID)
            }
            let events = try record.machine.apply(
                .heartbeat(instanceID: heartbeat.instanceID, driver: heartbeat.driver, intervalMillis: heartbeat.intervalMillis, leaving: heartbeat.leaving),
                at: now)
            if heartbeat.leaving {
                record.nodeInfo[heartbeat.instanceID] = nil
            } else {
                record.nodeInfo[heartbeat.instanceID] = .init(nodeType: heartbeat.nodeType, host: heartbeat.host)
            }
            try Self.store(db, record, events: events, at: now)
            // An agent's rows belong to its cluster's workspace (whatever they say: a cluster's manager must not file rows
            // under another workspace's readers), and say whether they are the driver's.
            let rows = rows.map { row in
                var row = row
                row.workspaceID = record.workspaceID
                row.accountID = nil
                if row.driver == nil { row.driver = heartbeat.driver }
                if row.nodeType == nil { row.nodeType = heartbeat.nodeType }
                return row
            }
            let inserted = try NodeTimelineStore.insert(db, rows, receivedMillis: now)
            return (record, created, inserted)
        }
    }

    /// Finds nodes whose heartbeats stopped, in every live cluster; a write only for clusters where one is due.
    /// Answers how many events it stored.
    @discardableResult
    public func tick() async throws -> Int {
        let now = clock.nowMillis()
        let due = try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM clusters WHERE state NOT IN ('TERMINATED', 'TERMINATING', 'ERROR')")
                .map { try Self.record(db, $0) }.filter { $0.machine.tickIsDue(at: now) }.map(\.clusterID)
        }
        var stored = 0
        for clusterID in due {
            stored += try await database.pool.write { db in
                guard var record = try Self.fetch(db, clusterID) else { return 0 }
                let events = try record.machine.apply(.tick, at: now)
                try Self.store(db, record, events: events, at: now)
                return events.count
            }
        }
        return stored
    }

    /// Events of one cluster, newest or oldest first, filtered by time and type; with the count of all that match.
    public func events(_ query: ClusterEventQuery) async throws -> (events: [ClusterEventRecord], total: Int) {
        try await database.pool.read { db in
            var conditions = ["cluster_id = ?"]
            var arguments: StatementArguments = [query.clusterID]
            if let start = query.startMillis { conditions.append("timestamp >= ?"); arguments += [start] }
            if let end = query.endMillis { conditions.append("timestamp <= ?"); arguments += [end] }
            if !query.types.isEmpty {
                conditions.append("type IN (\(Array(repeating: "?", count: query.types.count).joined(separator: ",")))")
                arguments += StatementArguments(query.types)
            }
            let filter = conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM cluster_events WHERE \(filter)", arguments: arguments) ?? 0
            var pageFilter = filter
            var pageArguments = arguments
            if let after = query.after {
                pageFilter += query.ascending ? " AND (timestamp, id) > (?, ?)" : " AND (timestamp, id) < (?, ?)"
                pageArguments += [after.timestamp, after.id]
            }
            let direction = query.ascending ? "ASC" : "DESC"
            pageArguments += [query.limit, query.offset]
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, cluster_id, timestamp, type, details FROM cluster_events WHERE \(pageFilter)
                ORDER BY timestamp \(direction), id \(direction) LIMIT ? OFFSET ?
                """, arguments: pageArguments)
            let events = rows.map { row in
                ClusterEventRecord(id: row["id"], clusterID: row["cluster_id"], timestamp: row["timestamp"], type: row["type"], details: row["details"])
            }
            return (events, total)
        }
    }

    /// The newest node_timeline row of each node reporting now (metrics' per-node gauges).
    public func latestSamples() async throws -> [NodeTimelineRow] {
        try await database.pool.read { db in
            let nodes = try Row.fetchAll(db, sql: """
                SELECT n.cluster_id, n.instance_id FROM cluster_nodes n JOIN clusters c ON c.cluster_id = n.cluster_id
                WHERE n.lost = 0 AND c.state NOT IN ('TERMINATED', 'TERMINATING', 'ERROR') ORDER BY n.cluster_id, n.instance_id
                """)
            return try nodes.compactMap { node -> NodeTimelineRow? in
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT * FROM node_timeline WHERE cluster_id = ? AND instance_id = ? ORDER BY start_time DESC LIMIT 1
                    """, arguments: [node["cluster_id"], node["instance_id"]]) else { return nil }
                var sample = NodeTimelineRow(clusterID: row["cluster_id"], instanceID: row["instance_id"], startMillis: row["start_time"],
                                             endMillis: row["end_time"])
                sample.driver = row["driver"]
                sample.cpuUserPercent = row["cpu_user_percent"]
                sample.cpuSystemPercent = row["cpu_system_percent"]
                sample.cpuWaitPercent = row["cpu_wait_percent"]
                sample.memUsedPercent = row["mem_used_percent"]
                sample.memSwapPercent = row["mem_swap_percent"]
                if let text: String = row["disk_free_bytes_per_mount_point"], case .object(let disks)? = try? JSONParser.parse(Array(text.utf8)) {
                    sample.diskFreeBytesPerMountPoint = disks.compactMap { disk in
                        guard case .number(let bytes) = disk.value, let free = Int64(bytes) else { return nil }
                        return .init(mountPoint: disk.key, freeBytes: free)
                    }
                }
                return sample
            }
        }
    }

    public static func notFound(_ clusterID: String) -> VigilError {
        // Databricks answers an unknown cluster with INVALID_PARAMETER_VALUE and this message.
        VigilError(.invalidParameter, "Cluster \(clusterID.prefix(64)) does not exist")
    }

    // MARK: - Rows

    func change(_ clusterID: String, systemTableRow: Bool = false, _ body: @Sendable @escaping (inout ClusterRecord) throws -> ClusterMachine.Input)
        async throws -> ClusterRecord
    {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            guard var record = try Self.fetch(db, clusterID) else { throw Self.notFound(clusterID) }
            let input = try body(&record)
            let events = try record.machine.apply(input, at: now)
            try Self.store(db, record, events: events, at: now)
            if systemTableRow { try Self.recordChange(db, record, at: now) }
            return record
        }
    }

    static func store(_ db: Database, _ record: ClusterRecord, events: [ClusterEventDraft], at now: Int64) throws {
        let machine = record.machine
        try db.execute(sql: """
            UPDATE clusters SET spec = ?, start_time = ?, last_restarted_time = ?, terminated_time = ?, termination_reason = ?,
                state = ?, state_message = ?, target_workers = ?, resize_from = ?, resize_to = ?
            WHERE cluster_id = ?
            """, arguments: [JSONWriter.text(of: .object(record.spec.json)), record.startMillis, record.lastRestartedMillis,
                             record.terminatedMillis, record.terminationReason, machine.state.rawValue, machine.stateMessage,
                             machine.targetWorkers, machine.resize?.from, machine.resize?.to, record.clusterID])
        try db.execute(sql: "DELETE FROM cluster_nodes WHERE cluster_id = ?", arguments: [record.clusterID])
        let insertNode = try db.cachedStatement(sql: """
            INSERT INTO cluster_nodes(cluster_id, instance_id, driver, node_type, host, interval_ms, first_seen, last_seen, lost)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for (id, node) in machine.nodes {
            let info = record.nodeInfo[id]
            try insertNode.execute(arguments: [record.clusterID, id, node.driver, info?.nodeType, info?.host, node.intervalMillis,
                                               node.firstSeenMillis, node.lastSeenMillis, node.lost])
        }
        let insertEvent = try db.cachedStatement(sql: "INSERT INTO cluster_events(cluster_id, timestamp, type, details) VALUES (?, ?, ?, ?)")
        for event in events {
            try insertEvent.execute(arguments: [record.clusterID, now, event.type, JSONWriter.text(of: .object(event.details))])
        }
    }

    /// A row of `system.compute.clusters` for the cluster as it is now.
    static func recordChange(_ db: Database, _ record: ClusterRecord, at now: Int64) throws {
        let spec = record.spec
        func setting(_ key: String) -> JSONValue? { spec.settings.first { $0.key == key }?.value }
        func text(_ key: String) -> String? { if case .string(let value)? = setting(key) { value } else { nil } }
        var elasticDisk: Bool?
        if case .bool(let value)? = setting("enable_elastic_disk") { elasticDisk = value }
        var initScripts: String?
        if case .array(let scripts)? = setting("init_scripts") {
            initScripts = JSONWriter.text(of: .array(scripts.map { .string(JSONWriter.text(of: $0)) }))
        }
        var tags: [JSONMember] = spec.customTags.map { JSONMember($0.key, .string($0.value)) }
        tags.sort { $0.key < $1.key }
        try db.execute(sql: """
            INSERT INTO cluster_changes(workspace_id, cluster_id, cluster_name, owned_by, create_time, delete_time, driver_node_type,
                worker_node_type, worker_count, min_autoscale_workers, max_autoscale_workers, auto_termination_minutes,
                enable_elastic_disk, tags, cluster_source, init_scripts, driver_instance_pool_id, worker_instance_pool_id, dbr_version, change_time,
                change_date)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [record.workspaceID, record.clusterID, spec.clusterName, record.creator, record.createMillis,
                             record.state == .terminated ? record.terminatedMillis : nil, spec.driverNodeTypeID ?? spec.nodeTypeID,
                             spec.nodeTypeID, spec.numWorkers, spec.autoscale?.minWorkers, spec.autoscale?.maxWorkers,
                             spec.autoterminationMinutes ?? 0, elasticDisk, JSONWriter.text(of: .object(tags)), record.source, initScripts,
                             text("driver_instance_pool_id"), text("instance_pool_id"), spec.sparkVersion, now,
                             Timestamp.formatDate(millis: now)])
    }

    static func fetch(_ db: Database, _ clusterID: String) throws -> ClusterRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM clusters WHERE cluster_id = ?", arguments: [clusterID]).map { try record(db, $0) }
    }

    static func record(_ db: Database, _ row: Row) throws -> ClusterRecord {
        let clusterID: String = row["cluster_id"]
        var nodes: [String: ClusterMachine.Node] = [:]
        var info: [String: ClusterRecord.NodeInfo] = [:]
        for node in try Row.fetchAll(db, sql: "SELECT * FROM cluster_nodes WHERE cluster_id = ?", arguments: [clusterID]) {
            let id: String = node["instance_id"]
            nodes[id] = ClusterMachine.Node(driver: node["driver"], intervalMillis: node["interval_ms"], firstSeenMillis: node["first_seen"],
                                            lastSeenMillis: node["last_seen"], lost: node["lost"])
            info[id] = .init(nodeType: node["node_type"], host: node["host"])
        }
        var resize: ClusterMachine.Resize?
        if let from: Int = row["resize_from"], let to: Int = row["resize_to"] { resize = .init(from: from, to: to) }
        let machine = ClusterMachine(
            state: ClusterState(rawValue: row["state"]) ?? .unknown, stateMessage: row["state_message"], targetWorkers: row["target_workers"],
            resize: resize, nodes: nodes)
        return ClusterRecord(
            key: row["id"], clusterID: clusterID, workspaceID: row["workspace_id"],
            spec: ClusterSpec.stored(row["spec"]) ?? ClusterSpec(clusterName: clusterID), creator: row["creator"], source: row["cluster_source"],
            createMillis: row["create_time"], startMillis: row["start_time"], lastRestartedMillis: row["last_restarted_time"],
            terminatedMillis: row["terminated_time"], terminationReason: row["termination_reason"], machine: machine, nodeInfo: info)
    }
}

/// What `POST /api/2.1/clusters/events` asks for.
public struct ClusterEventQuery: Sendable, Equatable {
    public var clusterID: String
    public var startMillis: Int64?
    public var endMillis: Int64?
    public var types: [String]
    public var ascending: Bool
    public var offset: Int
    public var limit: Int
    /// Keyset paging (`page_token`): events after this one in the chosen order.
    public var after: (timestamp: Int64, id: Int64)?

    public init(clusterID: String, startMillis: Int64? = nil, endMillis: Int64? = nil, types: [String] = [], ascending: Bool = false,
                offset: Int = 0, limit: Int = 50, after: (timestamp: Int64, id: Int64)? = nil) {
        self.clusterID = clusterID
        self.startMillis = startMillis
        self.endMillis = endMillis
        self.types = types
        self.ascending = ascending
        self.offset = offset
        self.limit = limit
        self.after = after
    }

    public static func == (lhs: ClusterEventQuery, rhs: ClusterEventQuery) -> Bool {
        lhs.clusterID == rhs.clusterID && lhs.startMillis == rhs.startMillis && lhs.endMillis == rhs.endMillis && lhs.types == rhs.types
            && lhs.ascending == rhs.ascending && lhs.offset == rhs.offset && lhs.limit == rhs.limit
            && lhs.after?.timestamp == rhs.after?.timestamp && lhs.after?.id == rhs.after?.id
    }
}
