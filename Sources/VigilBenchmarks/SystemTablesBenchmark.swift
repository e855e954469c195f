import Foundation
import VigilAccess
import VigilCore
import VigilSQL
import VigilStore
import VigilTesting

/// (h) The other system tables: reference query Q20 over N `node_timeline` rows (50 instances, one row a minute)
/// and Q1 over an information schema of G grants (users and groups on workspace objects), through the same
/// compiler and read-only connection as the API.
enum SystemTablesBenchmark {
    static func run(nodeRows: Int, grants: Int, now: Int64) async throws -> (insertRate: Double, lines: [String]) {
        let folder = try TemporaryDirectory(prefix: "vigil-bench-tables")
        defer { folder.remove() }
        let database = try VigilDatabase(path: folder.file("vigil.sqlite"))
        let store = NodeTimelineStore(database: database)
        let instances = 50
        let minutes = max(1, nodeRows / instances)
        let started = ContinuousClock.now
        var batch: [NodeTimelineRow] = []
        batch.reserveCapacity(10_000)
        for minute in 0..<minutes {
            for instance in 0..<instances {
                batch.append(row(minute: minute, instance: instance, minutes: minutes, now: now))
                if batch.count == 10_000 {
                    _ = try await store.insert(batch, receivedMillis: now)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        if !batch.isEmpty { _ = try await store.insert(batch, receivedMillis: now) }
        let insertRate = Double(minutes * instances) / (ContinuousClock.now - started).seconds

        let (admin, _) = try await PrincipalStore(database: database).ensureAdmin()
        let directory = Directory(database: database)
        try await directory.bootstrap(admin: admin)
        let permissions = PermissionStore(database: database)
        for index in 0..<grants {
            let member: Member =
                if index % 4 == 0 {
                    .group(try await directory.createGroup(displayName: "team-\(index)", externalID: nil).id)
                } else {
                    .principal(try await directory.createUser(userName: "user\(index)@x.com", displayName: nil, active: true, externalID: nil).id)
                }
            try await permissions.update(on: "audit-logs", index % 3 == 0 ? "all" : "\(1000 + index % 20)", with: [(member, "CAN_VIEW")])
        }
        let queries = [
            ("Q20 node utilization, disk pressure (30 d)", (try? SQLGolden.load("q20-node-utilization-disk-pressure").sql) ?? ""),
            ("Q1 who can access system.access.audit", (try? SQLGolden.load("q01-who-can-access-a-table").sql) ?? ""),
        ]
        let lines = try await SQLBenchmark.run(
            database: database, now: now, queries: queries,
            computedTables: InformationSchema(database: database, access: .administrator(admin)))
        return (insertRate, lines)
    }

    private static func row(minute: Int, instance: Int, minutes: Int, now: Int64) -> NodeTimelineRow {
        let start = now - Int64(minutes - minute) * 60_000
        var row = NodeTimelineRow(
            clusterID: "cluster-\(instance / 5)", instanceID: "i-\(instance)", startMillis: start, endMillis: start + 60_000)
        let wave = Double((minute * 7 + instance * 13) % 100)
        row.workspaceID = "\(1000 + instance % 4)"
        row.driver = instance % 5 == 0
        row.cpuUserPercent = wave * 0.8
        row.cpuSystemPercent = wave * 0.1
        row.memUsedPercent = 20 + wave * 0.7
        row.memSwapPercent = Double(minute % 10)
        row.networkSentBytes = Int64(minute * 1000 + instance)
        row.networkReceivedBytes = Int64(minute * 2000 + instance)
        row.diskFreeBytesPerMountPoint = [
            .init(mountPoint: "/", freeBytes: Int64(20 + (minute + instance) % 40) << 30),
            .init(mountPoint: "/local_disk0", freeBytes: Int64(100 + minute % 300) << 30),
        ]
        row.nodeType = "i3.xlarge"
        return row
    }
}
