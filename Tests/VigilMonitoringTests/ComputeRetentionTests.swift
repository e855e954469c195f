import Logging
import Testing
import VigilCore
import VigilStore
import VigilTesting
@testable import VigilMonitoring

/// Node and job retention on a real SQLite file: old rows go, recent ones and the configuration history stay.
@Suite struct ComputeRetentionTests {
    @Test func oldNodeRowsAndEndedRunsAreDeleted() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let day: Int64 = 86_400_000
        let now: Int64 = 1_800_000_000_000
        let owner = try await PrincipalStore(database: database).ensureAdmin().principal
        // 100 days of one node's daily rows.
        let rows = (0..<100).map { index -> NodeTimelineRow in
            NodeTimelineRow(clusterID: "c", instanceID: "i", startMillis: now - Int64(index) * day - 60_000, endMillis: now - Int64(index) * day)
        }
        _ = try await NodeTimelineStore(database: database).insert(rows, receivedMillis: now)
        // A run that ended 400 days ago, one 10 days ago, one still running.
        for (age, ends) in [(400, true), (401, true), (402, true), (10, true), (1, false)] {
            let jobs = JobStore(database: database, clock: FixedWallClock(millis: now - Int64(age) * day))
            let job = try await jobs.create(name: "job-\(age)", settings: [], creator: owner)
            let run = try await jobs.runNow(jobID: job.jobID, user: "admin", retryOf: nil, heartbeatIntervalMillis: 10_000)
            if ends {
                _ = try await jobs.finish(run.runID, .init(result: .success, exitCode: 0, message: "", executionEndMillis: nil, cpuUserMillis: nil,
                                                            cpuSystemMillis: nil, peakRSSBytes: nil))
            }
        }
        let service = ComputeRetentionService(
            database: database, nodeRetentionMillis: 90 * day, jobRetentionMillis: 365 * day, interval: .seconds(60),
            clock: FixedWallClock(millis: now), logger: Logger(label: "test"))
        let deleted = try await service.sweepOnce(batch: 2)
        let counts = try await database.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM node_timeline")!, try Int.fetchOne(db, sql: "SELECT count(*) FROM job_runs")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM job_run_slices WHERE run_id IN ('1', '2', '3')")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs")!)
        }
        // Rows that started more than 90 days ago (indexes 90...99) are gone; so are the three runs older than a year
        // (more than one batch of them) and every one of their slices.
        #expect(counts.0 == 90)
        #expect(counts.1 == 2 && counts.2 == 0)
        #expect(counts.3 == 5, "jobs themselves are kept")
        #expect(deleted == 10 + 3)
        #expect(try await service.sweepOnce() == 0)
    }
}
