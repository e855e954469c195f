import Foundation
import VigilSQL
import VigilStore
import VigilTesting

/// (g) Spark SQL latency: the two seed queries (target ≤ 100 ms each) and five aggregations (≤ 1 s each)
/// over the stored events, run through the same compiler and read-only connection as the API.
enum SQLBenchmark {
    static let queries: [(name: String, sql: String)] = [
        // The seeds verbatim, from the golden cases that Spark checked.
        ("seed A (CTE + explode of from_json, 30 days)", (try? SQLGolden.load("seed-a-app-permission-changes").sql) ?? ""),
        ("seed B (get_json_object, 30 days)", (try? SQLGolden.load("seed-b-app-user-api-scopes").sql) ?? ""),
        ("events per action (full scan)", "SELECT action_name, count(*) AS n FROM system.access.audit GROUP BY action_name ORDER BY n DESC"),
        ("distinct users per workspace, 7 days", """
            SELECT workspace_id, count(DISTINCT user_identity.email) AS users FROM system.access.audit
            WHERE event_date >= current_date() - 7 GROUP BY 1
            """),
        ("events per hour, last day", """
            SELECT date_trunc('HOUR', event_time) AS hour, count(*) AS n FROM system.access.audit
            WHERE event_time >= now() - INTERVAL 24 HOURS GROUP BY 1 ORDER BY 1
            """),
        ("top 10 users by failed requests", """
            SELECT user_identity.email, count(*) AS failures FROM system.access.audit
            WHERE response.status_code >= 400 GROUP BY 1 ORDER BY failures DESC, 1 LIMIT 10
            """),
        ("per-service status summary", """
            SELECT service_name, count(*) AS n, avg(response.status_code) AS avg_status, max(event_time) AS last_seen,
              count(DISTINCT source_ip_address) AS ips
            FROM system.access.audit GROUP BY service_name
            """),
    ]

    /// Runs each query once to warm up and five times more; a line per query with the median.
    static func run(
        database: VigilDatabase, now: Int64, queries: [(name: String, sql: String)] = queries,
        computedTables: (any ComputedTableSource)? = nil
    ) async throws -> [String] {
        let runner = SQLStatementRunner(database: database, limits: .init(timeout: .seconds(120), rowLimit: 1_000_000))
        var lines: [String] = []
        for (name, sql) in queries {
            var timings: [Double] = []
            var rows = 0
            for attempt in 0..<6 {
                let started = ContinuousClock.now
                let result = try await runner.run(sql, now: now, computedTables: computedTables)
                if attempt > 0 { timings.append((ContinuousClock.now - started).seconds * 1000) }
                rows = result.rows.count
            }
            timings.sort()
            let label = name.padding(toLength: 44, withPad: " ", startingAt: 0)
            lines.append(label + String(format: "%8.1f ms  (%d rows)", timings[timings.count / 2], rows))
        }
        return lines
    }
}
