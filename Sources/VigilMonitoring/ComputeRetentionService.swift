import GRDB
import Logging
import ServiceLifecycle
import VigilCore
import VigilStore

/// Deletes old monitoring data every `interval`, in small transactions: node_timeline rows past the node retention
/// (Databricks keeps 90 days), and ended job runs with their timeline slices past the job retention (365 days), and
/// events of clusters terminated longer ago than the node retention. Jobs, clusters and their configuration history
/// (`system.compute.clusters`, `system.lakeflow.jobs`) are kept.
public struct ComputeRetentionService: Service {
    public let database: VigilDatabase
    public let nodeRetentionMillis: Int64
    public let jobRetentionMillis: Int64
    public let interval: Duration
    public let clock: any WallClock
    public let logger: Logger

    public static let defaultNodeRetentionMillis: Int64 = 90 * 86_400_000
    public static let defaultJobRetentionMillis: Int64 = 365 * 86_400_000

    public init(database: VigilDatabase, nodeRetentionMillis: Int64, jobRetentionMillis: Int64, interval: Duration, clock: any WallClock, logger: Logger) {
        self.database = database
        self.nodeRetentionMillis = nodeRetentionMillis
        self.jobRetentionMillis = jobRetentionMillis
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                let deleted = try await sweepOnce()
                if deleted > 0 { logger.debug("Old node and job run rows deleted by retention", metadata: ["rows": "\(deleted)"]) }
            } catch {
                logger.warning("Node and job retention sweep failed; it is retried at the next interval", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One pass; returns the rows deleted.
    @discardableResult
    public func sweepOnce(batch: Int = 10_000) async throws -> Int {
        let now = clock.nowMillis()
        let nodeCutoff = now - nodeRetentionMillis
        let jobCutoff = now - jobRetentionMillis
        var deleted = 0
        // Node rows go oldest first with their hourly rollup, a batch per transaction.
        while true {
            let count = try await database.pool.write { db in try NodeTimelineRollup.deleteRows(db, before: nodeCutoff, limit: batch) }
            deleted += count
            if count < batch { break }
        }
        let statements: [(String, StatementArguments)] = [
            ("""
             DELETE FROM cluster_events WHERE id IN (SELECT e.id FROM cluster_events e JOIN clusters c ON c.cluster_id = e.cluster_id
                 WHERE c.state = 'TERMINATED' AND c.terminated_time < ? AND e.timestamp < ? LIMIT ?)
             """, [nodeCutoff, nodeCutoff, batch]),
        ]
        // Ended runs go with their timeline slices, a batch of runs per transaction.
        while true {
            let count = try await database.pool.write { db in
                let ids = try Int64.fetchAll(db, sql: "SELECT run_id FROM job_runs WHERE end_time IS NOT NULL AND end_time < ? LIMIT ?",
                                             arguments: [jobCutoff, batch])
                for id in ids {
                    try db.execute(sql: "DELETE FROM job_run_slices WHERE run_id = ?", arguments: [String(id)])
                    try db.execute(sql: "DELETE FROM job_runs WHERE run_id = ?", arguments: [id])
                }
                return ids.count
            }
            deleted += count
            if count < batch { break }
        }
        for (sql, arguments) in statements {
            while true {
                let count = try await database.pool.write { db in
                    try db.execute(sql: sql, arguments: arguments)
                    return db.changesCount
                }
                deleted += count
                if count < batch { break }
            }
        }
        return deleted
    }
}
