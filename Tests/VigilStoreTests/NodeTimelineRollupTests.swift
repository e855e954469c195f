import GRDB
import Testing
import VigilCore
import VigilSQL
import VigilStore
import VigilTesting

/// The hourly rollup of node_timeline: aggregates answered from it must equal the base table's answers for every
/// shape the compiler rewrites (ranges cutting hours, nulls, rows null in part of a group, workspace limits), the
/// rollup must stay equal to a rebuild from the base rows after inserts, duplicates and retention, and selects it
/// cannot answer exactly must read the base table.
@Suite struct NodeTimelineRollupTests {
    /// 2026-11-30 00:00 UTC (a Monday).
    static let day0: Int64 = 1_764_460_800_000
    static let hour: Int64 = 3_600_000

    /// Three days of rows every 7 minutes and 13 s from 6 nodes in 3 clusters and 3 workspaces (one of them NULL),
    /// with nulls of whole groups, rows null in part of a group, and a node whose driver and node type are unknown.
    static func rows() -> [NodeTimelineRow] {
        var rows: [NodeTimelineRow] = []
        var seed: UInt64 = 42
        // A linear congruential sequence: the same rows on every run.
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        for node in 0..<6 {
            var start = day0 + Int64(node) * 61_000
            var index = 0
            while start < day0 + 3 * 86_400_000 {
                var row = NodeTimelineRow(clusterID: "cluster-\(node % 3)", instanceID: "node-\(node)", startMillis: start, endMillis: start + 433_000)
                row.workspaceID = node == 5 ? nil : "ws-\(node % 2)"
                row.accountID = "acct"
                row.driver = node == 4 ? nil : node < 3
                row.nodeType = node == 4 ? nil : "i3.xlarge"
                func percent() -> Double { Double(next(10_000)) / 97 }
                switch index % 11 {
                case 3:  // Whole groups unknown (CPU, network): fine for the shared rollup row.
                    row.memUsedPercent = percent()
                    row.memSwapPercent = percent()
                case 7:  // Part of the CPU group unknown: a rollup row of its own.
                    row.cpuUserPercent = percent()
                    row.cpuWaitPercent = percent()
                    row.memUsedPercent = percent()
                    row.memSwapPercent = percent()
                    row.networkSentBytes = Int64(next(1_000_000))
                default:
                    row.cpuUserPercent = percent()
                    row.cpuSystemPercent = percent()
                    row.cpuWaitPercent = percent()
                    row.memUsedPercent = percent()
                    row.memSwapPercent = percent()
                    row.networkSentBytes = Int64(next(1_000_000))
                    row.networkReceivedBytes = Int64(next(5_000_000))
                }
                rows.append(row)
                start += 433_000
                index += 1
            }
        }
        return rows
    }

    static func database(_ folder: TemporaryDirectory) async throws -> VigilDatabase {
        let database = try VigilDatabase(path: folder.file("vigil.sqlite"))
        _ = try await NodeTimelineStore(database: database).insert(rows(), receivedMillis: day0)
        return database
    }

    /// 13:27:41.5 on the second day: no range below starts or ends on an hour.
    static let now = day0 + 86_400_000 + 13 * hour + 1_661_500

    static let queries = [
        // The benchmark's daily utilisation per cluster.
        """
        SELECT cluster_id, date_trunc('DAY', start_time) AS day, avg(cpu_user_percent + cpu_system_percent) AS cpu,
               max(mem_used_percent) AS peak_memory
        FROM system.compute.node_timeline WHERE start_time >= current_timestamp() - INTERVAL 30 HOURS
        GROUP BY cluster_id, date_trunc('DAY', start_time) ORDER BY cluster_id, day
        """,
        "SELECT instance_id, count(*), count(cpu_system_percent), sum(network_sent_bytes), avg(network_received_bytes), min(cpu_wait_percent) FROM system.compute.node_timeline GROUP BY instance_id ORDER BY instance_id",
        "SELECT date_trunc('HOUR', start_time) AS h, avg(cpu_user_percent - cpu_wait_percent), sum(cpu_user_percent + cpu_system_percent + cpu_wait_percent) FROM system.compute.node_timeline WHERE start_time > current_timestamp() - INTERVAL 5 HOURS AND start_time <= current_timestamp() GROUP BY 1 ORDER BY 1",
        "SELECT workspace_id, driver, node_type, hour(start_time), count(*) FROM system.compute.node_timeline WHERE start_time < current_timestamp() GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
        "SELECT to_date(start_time) AS d, cluster_id, avg(mem_used_percent + mem_swap_percent) FROM system.compute.node_timeline WHERE cluster_id IN ('cluster-1', 'cluster-2') AND start_time BETWEEN current_timestamp() - INTERVAL 26 HOURS AND current_timestamp() + INTERVAL 3 HOURS GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT cluster_id, max(network_sent_bytes), min(mem_swap_percent) FROM system.compute.node_timeline GROUP BY cluster_id HAVING avg(cpu_user_percent) > 10 ORDER BY avg(cpu_system_percent) DESC",
        "SELECT count(*), avg(cpu_user_percent), sum(mem_used_percent), max(cpu_system_percent) FROM system.compute.node_timeline WHERE start_time >= current_timestamp() + INTERVAL 30 DAYS",
        "SELECT count(*), avg(cpu_user_percent + cpu_system_percent) FROM system.compute.node_timeline WHERE workspace_id IS NULL AND current_timestamp() - INTERVAL 50 HOURS < start_time",
        "SELECT year(start_time), month(start_time), date_trunc('WEEK', start_time), CASE WHEN driver THEN 'driver' ELSE 'worker' END AS role, avg(cpu_user_percent) FROM system.compute.node_timeline GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    ]

    @Test("every rewritten aggregate answers as the base rows do", arguments: queries.indices)
    func matchesBaseRows(_ index: Int) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await Self.database(folder)
        try await Self.expectSameAnswers(Self.queries[index], database: database)
    }

    @Test("a workspace-limited reader gets its workspaces' rows only, from the rollup as from the base rows")
    func workspaceScope() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await Self.database(folder)
        let text = "SELECT workspace_id, count(*), avg(cpu_user_percent) FROM system.compute.node_timeline WHERE start_time < current_timestamp() GROUP BY 1 ORDER BY 1"
        let scoped = try await Self.expectSameAnswers(text, database: database, workspaceScope: ["ws-1"])
        #expect(scoped.map { $0[0] } == [.text("ws-1")])
    }

    @Test("the rollup is what a rebuild from the base rows gives, and a resent batch adds nothing")
    func triggerMatchesRebuild() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await Self.database(folder)
        let kept = try await Self.rollupRows(database)
        let resent = try await NodeTimelineStore(database: database).insert(Array(Self.rows().prefix(50)), receivedMillis: Self.day0)
        #expect(resent.duplicates == 50)
        #expect(try await Self.rollupRows(database) == kept)
        try await database.pool.write { db in try NodeTimelineRollup.rebuild(db) }
        Self.expectClose(try await Self.rollupRows(database), kept)
        // Rows null in part of a group are rolled up one by one; the others share a row per node and hour.
        let singles = try await database.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM node_timeline_hourly WHERE single_start IS NOT NULL")
        }
        let mixed = Self.rows().enumerated().filter { $0.element.cpuUserPercent != nil && $0.element.cpuSystemPercent == nil }.count
        #expect(singles == mixed && mixed > 0)
    }

    @Test("upgrading a database whose rows predate the rollup rolls them up, and answers equal")
    func upgrade() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("vigil.sqlite")
        // A database as migration 017 left it, holding rows.
        let old = try DatabaseQueue(path: path)
        try VigilMigrations.migrator.migrate(old, upTo: "017_node_usage_index")
        try await old.write { db in
            #expect(try !db.tableExists("node_timeline_hourly"))
            _ = try NodeTimelineStore.insert(db, Self.rows(), receivedMillis: Self.day0)
        }
        try old.close()
        let database = try VigilDatabase(path: path)
        let rolled = try await Self.rollupRows(database)
        #expect(!rolled.isEmpty)
        try await database.pool.write { db in try NodeTimelineRollup.rebuild(db) }
        Self.expectClose(try await Self.rollupRows(database), rolled)
        try await Self.expectSameAnswers(Self.queries[0], database: database)
    }

    @Test("retention in batches keeps the rollup equal to a rebuild after every batch, and answers equal")
    func retention() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try await Self.database(folder)
        let cutoff = Self.day0 + 30 * Self.hour + 1_234_567
        var batches = 0
        while try await database.pool.write({ db in try NodeTimelineRollup.deleteRows(db, before: cutoff, limit: 97) }) > 0 {
            batches += 1
            if batches % 7 == 1 {
                let kept = try await Self.rollupRows(database)
                try await database.pool.write { db in try NodeTimelineRollup.rebuild(db) }
                Self.expectClose(try await Self.rollupRows(database), kept)
            }
        }
        #expect(batches > 10)
        let oldest = try await database.pool.read { db in try Int64.fetchOne(db, sql: "SELECT min(start_time) FROM node_timeline") }
        #expect(oldest.map { $0 >= cutoff } == true)
        try await Self.expectSameAnswers(Self.queries[1], database: database)
        // All rows gone: no rollup rows either.
        _ = try await database.pool.write { db in try NodeTimelineRollup.deleteRows(db, before: .max, limit: 1_000_000) }
        #expect(try await Self.rollupRows(database).isEmpty)
    }

    @Test("before 1970: hours and days of negative times group as Spark's, from the rollup as from the rows")
    func beforeEpoch() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase(path: folder.file("vigil.sqlite"))
        // 1969-12-31T22:59:59.500Z, 23:00:00.000Z, 23:30:00.250Z, 1970-01-01T00:00:00.001Z, 1969-12-30T12:00:00Z.
        let times: [Int64] = [-3_600_500, -3_600_000, -1_799_750, 1, -129_600_000]
        let rows = times.enumerated().map { index, start in
            var row = NodeTimelineRow(clusterID: "old", instanceID: "n\(index % 2)", startMillis: start, endMillis: start + 1)
            row.cpuUserPercent = Double(index)
            return row
        }
        _ = try await NodeTimelineStore(database: database).insert(rows, receivedMillis: 0)
        let hours = try await Self.expectSameAnswers(
            "SELECT hour(start_time), count(*), sum(cpu_user_percent) FROM system.compute.node_timeline WHERE start_time < TIMESTAMP '1970-01-02 00:00:00' GROUP BY 1 ORDER BY 1",
            database: database)
        #expect(hours == [[.integer(0), .integer(1), .real(3)], [.integer(12), .integer(1), .real(4)], [.integer(22), .integer(1), .real(0)], [.integer(23), .integer(2), .real(3)]])
        try await Self.expectSameAnswers(
            "SELECT date_trunc('DAY', start_time), instance_id, avg(cpu_user_percent) FROM system.compute.node_timeline WHERE start_time >= TIMESTAMP '1969-12-30 11:59:59.999' GROUP BY 1, 2 ORDER BY 1, 2",
            database: database)
    }

    @Test("byte counts whose sum passes 2^63: avg answers, sum fails as the rows' own sum does, retention still deletes")
    func hugeByteCounts() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase(path: folder.file("vigil.sqlite"))
        let rows = (0..<4).map { index in
            var row = NodeTimelineRow(clusterID: "c", instanceID: "n", startMillis: Self.day0 + Int64(index) * 1_000_000, endMillis: Self.day0 + Int64(index + 1) * 1_000_000)
            row.networkSentBytes = 6_900_000_000_000_000_000
            row.networkReceivedBytes = 1
            return row
        }
        _ = try await NodeTimelineStore(database: database).insert(rows, receivedMillis: 0)
        try await Self.expectSameAnswers("SELECT avg(network_sent_bytes), max(network_sent_bytes), count(network_received_bytes) FROM system.compute.node_timeline", database: database)
        let summed = "SELECT sum(network_sent_bytes) FROM system.compute.node_timeline"
        #expect(try SQLCompiler().compile(summed, now: Self.now).sql.contains("node_timeline_hourly"))
        await #expect(throws: SQLError.self) { try await SQLStatementRunner(database: database).run(summed, now: Self.now) }
        await #expect(throws: SQLError.self) { try await SQLStatementRunner(database: database, compiler: SQLCompiler(useRollups: false)).run(summed, now: Self.now) }
        // A batch that cuts the hour rebuilds it: no overflow there either.
        let deleted = try await database.pool.write { db in try NodeTimelineRollup.deleteRows(db, before: .max, limit: 1) }
        #expect(deleted == 1)
        try await Self.expectSameAnswers("SELECT avg(network_sent_bytes), count(*) FROM system.compute.node_timeline", database: database)
    }

    @Test("the daily query reads the rollup; selects it cannot answer exactly read the base table", arguments: [
        ("SELECT cluster_id, avg(cpu_user_percent) FROM system.compute.node_timeline WHERE start_time >= current_timestamp() - INTERVAL 30 DAYS GROUP BY 1", true),
        ("SELECT max(cpu_user_percent + cpu_system_percent) FROM system.compute.node_timeline", false),
        ("SELECT avg(cpu_user_percent + mem_used_percent) FROM system.compute.node_timeline", false),
        ("SELECT date_trunc('MINUTE', start_time), count(*) FROM system.compute.node_timeline GROUP BY 1", false),
        ("SELECT start_time, count(*) FROM system.compute.node_timeline GROUP BY 1", false),
        ("SELECT count(*) FROM system.compute.node_timeline WHERE cpu_user_percent > 50", false),
        ("SELECT count(DISTINCT cpu_user_percent) FROM system.compute.node_timeline", false),
        ("SELECT count(*) FROM system.compute.node_timeline WHERE start_time >= current_timestamp() - INTERVAL 40 MINUTES", true),
        ("SELECT count(*) FROM system.compute.node_timeline WHERE start_time BETWEEN current_timestamp() - INTERVAL 40 MINUTES AND current_timestamp() - INTERVAL 10 MINUTES", false),
        ("SELECT instance_id, row_number() OVER (ORDER BY instance_id) FROM system.compute.node_timeline GROUP BY 1", false),
        ("SELECT cluster_id, count(*) FROM system.compute.node_timeline WHERE end_time > current_timestamp() GROUP BY 1", false),
        ("SELECT DISTINCT cluster_id FROM system.compute.node_timeline", false),
        ("SELECT cluster_id FROM system.compute.node_timeline GROUP BY 1 HAVING max(cpu_user_percent + cpu_system_percent) > 90", false),
        ("SELECT cluster_id, count(*) FROM system.compute.node_timeline GROUP BY 1 ORDER BY max(cpu_user_percent * 2)", false),
        ("SELECT count(workspace_id) FROM system.compute.node_timeline", false),
        ("SELECT cluster_id, collect_list(cpu_user_percent) FROM system.compute.node_timeline GROUP BY 1", false),
        ("SELECT count(*) FROM system.compute.node_timeline WHERE start_time = current_timestamp()", false),
        ("SELECT count(*) FROM system.compute.node_timeline WHERE start_time <> current_timestamp()", false),
        ("SELECT count(*) FROM system.compute.node_timeline WHERE start_time >= current_date() - 30", true),
        // Bounds whose hour is outside 64 bits: compiled without the rollup, never a crash.
        ("SELECT count(*) FROM system.compute.node_timeline WHERE start_time >= TIMESTAMP '1970-01-01 00:00:00' + INTERVAL 9223372036854775807 MILLISECONDS", false),
        ("SELECT count(*) FROM system.compute.node_timeline WHERE start_time < TIMESTAMP '1970-01-01 00:00:00' - INTERVAL 9223372036854775807 MILLISECONDS", false),
        ("SELECT n.cluster_id, count(*) FROM system.compute.node_timeline n JOIN system.compute.clusters c ON c.cluster_id = n.cluster_id GROUP BY 1", false),
    ])
    func rewritten(_ text: String, _ usesRollup: Bool) throws {
        let sql = try SQLCompiler().compile(text, now: Self.now).sql
        #expect(sql.contains("node_timeline_hourly") == usesRollup, "\(sql)")
        let plain = try SQLCompiler(useRollups: false).compile(text, now: Self.now).sql
        #expect(!plain.contains("node_timeline_hourly"))
    }

    // MARK: Helpers

    /// Runs `text` with and without the rollup and expects the same rows (floating-point sums to 1e-9); answers them.
    @discardableResult
    static func expectSameAnswers(_ text: String, database: VigilDatabase, workspaceScope: [String]? = nil) async throws -> [[SQLValue]] {
        let rolled = SQLStatementRunner(database: database)
        let plain = SQLStatementRunner(database: database, compiler: SQLCompiler(useRollups: false))
        #expect(try rolled.compiler.compile(text, now: now, workspaceScope: workspaceScope).sql.contains("node_timeline_hourly"), "\(text)")
        let expected = try await plain.run(text, now: now, workspaceScope: workspaceScope)
        let actual = try await rolled.run(text, now: now, workspaceScope: workspaceScope)
        #expect(actual.columns == expected.columns)
        #expect(!expected.rows.isEmpty || text.contains("30 DAYS"), "the query finds rows: \(text)")
        expectClose(actual.rows, expected.rows, "\(text)")
        return actual.rows
    }

    static func expectClose(_ actual: [[SQLValue]], _ expected: [[SQLValue]], _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, "\(comment)", sourceLocation: sourceLocation)
        for (got, want) in zip(actual, expected) {
            let same = got.count == want.count && zip(got, want).allSatisfy { pair in
                if case .real(let a) = pair.0, case .real(let b) = pair.1 { return abs(a - b) <= 1e-9 * max(1, abs(b)) }
                return pair.0 == pair.1
            }
            #expect(same, "\(got) != \(want) \(comment)", sourceLocation: sourceLocation)
        }
    }

    static func rollupRows(_ database: VigilDatabase) async throws -> [[SQLValue]] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM node_timeline_hourly ORDER BY start_time, instance_id, single_start").map { row in
                row.databaseValues.map { value -> SQLValue in
                    switch value.storage {
                    case .null: .null
                    case .int64(let number): .integer(number)
                    case .double(let number): .real(number)
                    case .string(let text): .text(text)
                    case .blob: .text("blob")
                    }
                }
            }
        }
    }
}
