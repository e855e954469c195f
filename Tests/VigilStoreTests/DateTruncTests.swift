import GRDB
import Testing
import VigilSQL
import VigilStore
import VigilTesting

/// `date_trunc` of a timestamp column to a unit of fixed length is integer arithmetic in SQLite (fast over millions
/// of node_timeline rows); it must answer exactly what the Spark-checked `SparkDateTime.truncate` answers, before
/// 1970, at unit edges and at the extremes, where it hands over to the Swift function.
@Suite struct DateTruncTests {
    static let times: [Int64] = [
        0, 1, -1, 999, 1_000, -999, -1_000, -1_001, 59_999, 60_000, -60_001, 3_599_999, 3_600_000, -3_600_001,
        86_399_999, 86_400_000, -86_400_000, -86_400_001, 1_764_806_400_000, 1_764_806_399_999, 1_764_633_600_000,
        // 2026-11-30 is a Monday: the week's first millisecond, and the one before it.
        1_764_460_800_000, 1_764_460_799_999,
        4_611_686_018_427_387_904, 4_611_686_018_427_387_905, -4_611_686_018_427_387_904, -4_611_686_018_427_387_905,
        Int64.max, Int64.min + 1,
    ]

    @Test("each fixed unit answers as SparkDateTime.truncate for every time, through the column path", arguments: ["WEEK", "DAY", "dd", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "MONTH"])
    func matchesSpark(_ unit: String) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase(path: folder.file("vigil.sqlite"))
        try await database.pool.write { db in
            for (index, time) in Self.times.enumerated() {
                try db.execute(sql: "INSERT INTO node_timeline (cluster_id, instance_id, start_time, end_time, received_time) VALUES ('c', ?, ?, 0, 0)",
                               arguments: ["n\(index)", time])
            }
        }
        let runner = SQLStatementRunner(database: database)
        let result = try await runner.run("SELECT start_time, date_trunc('\(unit)', start_time) FROM system.compute.node_timeline", now: 0)
        #expect(result.rows.count == Self.times.count)
        for row in result.rows {
            guard case .integer(let time) = row[0] else {
                Issue.record("\(row)")
                continue
            }
            let expected: SQLValue = SparkDateTime.truncate(millis: time, unit: unit).map { .integer($0) } ?? .null
            #expect(row[1] == expected, "\(unit) of \(time)")
        }
    }

    @Test("a fixed unit over a column is written as arithmetic; a month, or a computed argument, calls the function")
    func emitted() throws {
        let compiler = SQLCompiler()
        let day = try compiler.compile("SELECT date_trunc('DAY', start_time) FROM system.compute.node_timeline", now: 0).sql
        #expect(!day.contains("spark_date_trunc(?") || day.contains("ELSE spark_date_trunc"), "\(day)")
        #expect(day.contains("% 86400000"), "\(day)")
        let month = try compiler.compile("SELECT date_trunc('MONTH', start_time) FROM system.compute.node_timeline", now: 0).sql
        #expect(!month.contains("% "), "\(month)")
        let computed = try compiler.compile("SELECT date_trunc('DAY', end_time - INTERVAL 1 HOUR) FROM system.compute.node_timeline", now: 0).sql
        #expect(!computed.contains("% 86400000"), "\(computed)")
    }
}
