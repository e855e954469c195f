import GRDB
import VigilCore
import VigilStore

/// Jobs and runs (migration 008). A run is created PENDING by run-now, made RUNNING and TERMINATED by its runner
/// (`vigil job run`), which also sends heartbeats; a run whose heartbeats stop becomes INTERNAL_ERROR (`tick`). Every
/// change rewrites the run's slices of `system.lakeflow.job_run_timeline` in the same transaction.
public struct JobStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock
    public let workspaceID: String

    public static let objectType = "jobs"
    /// A run is lost after this many of its heartbeat intervals without one.
    public static let missedHeartbeats: Int64 = 3

    public init(database: VigilDatabase, clock: any WallClock = SystemWallClock(), workspaceID: String = "0") {
        self.database = database
        self.clock = clock
        self.workspaceID = workspaceID
    }

    // MARK: Jobs

    /// Creates a job and makes `creator` its owner (IS_OWNER); a taken name is `resource_already_exists`.
    public func create(name: String, settings: [JSONMember], creator: Principal) async throws -> JobRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM jobs WHERE name = ?", arguments: [name]) != nil {
                throw VigilError(.resourceAlreadyExists, "A job named \(name.prefix(100)) already exists; Vigil keeps job names unique")
            }
            try db.execute(sql: "INSERT INTO jobs(name, workspace_id, creator, created_time, settings) VALUES (?, ?, ?, ?, ?)",
                           arguments: [name, workspaceID, creator.userName, now, JSONWriter.text(of: .object(settings))])
            let id = db.lastInsertedRowID
            try db.execute(sql: """
                INSERT INTO permissions(object_type, object_id, principal_id, group_id, permission_level, granted_time)
                VALUES (?, ?, ?, NULL, 'IS_OWNER', ?)
                """, arguments: [Self.objectType, String(id), creator.id, now])
            var tags: [JSONMember] = []
            if case .object(let given)? = JSONValue.object(settings)["tags"] { tags = given.sorted { $0.key < $1.key } }
            var description: String?
            if case .string(let text)? = JSONValue.object(settings)["description"] { description = text }
            try db.execute(sql: """
                INSERT INTO job_changes(workspace_id, job_id, name, description, creator_id, tags, change_time, run_as)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [workspaceID, String(id), name, description, String(creator.id), JSONWriter.text(of: .object(tags)), now, creator.userName])
            guard let job = try Self.job(db, id: id) else { throw VigilError(.internal, "the new job was not stored") }
            return job
        }
    }

    public func job(id: Int64) async throws -> JobRecord? {
        try await database.pool.read { db in try Self.job(db, id: id) }
    }

    public func job(named name: String) async throws -> JobRecord? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE name = ?", arguments: [name]).map(Self.job)
        }
    }

    /// Jobs by id after `after`, skipping `offset` of them, at most `limit`, those `include` admits.
    public func jobs(after: Int64, offset: Int = 0, limit: Int, name: String?, include: @Sendable (JobRecord) -> Bool) async throws
        -> (jobs: [JobRecord], more: Bool)
    {
        try await database.pool.read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM jobs WHERE job_id > ? AND (? IS NULL OR name = ?) ORDER BY job_id",
                                             arguments: [after, name, name])
            return try Self.page(cursor, decode: Self.job, include: include, offset: offset, limit: limit)
        }
    }

    // MARK: Runs

    /// A new PENDING run of `jobID` (a retry of `retryOf` when given).
    public func runNow(jobID: Int64, user: String, retryOf: Int64?, heartbeatIntervalMillis: Int64) async throws -> JobRunRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            guard try Self.job(db, id: jobID) != nil else { throw Self.jobNotFound(jobID) }
            var attempt = 0
            var original: Int64?
            if let retryOf {
                guard let previous = try Self.run(db, id: retryOf), previous.jobID == jobID else {
                    throw VigilError(.invalidParameter, "retry_of: run \(retryOf) is not a run of job \(jobID)")
                }
                attempt = previous.attemptNumber + 1
                original = previous.originalAttemptRunID ?? previous.runID
            }
            // MAX, not count: numbers are never reused once retention deletes old runs.
            let number = (try Int64.fetchOne(db, sql: "SELECT max(number_in_job) FROM job_runs WHERE job_id = ?", arguments: [jobID]) ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO job_runs(job_id, number_in_job, attempt_number, original_attempt_run_id, trigger, creator, life_cycle_state,
                    state_message, start_time, heartbeat_interval_ms, last_heartbeat)
                VALUES (?, ?, ?, ?, ?, ?, 'PENDING', 'Waiting for the runner to start the command', ?, ?, ?)
                """, arguments: [jobID, number, attempt, original, retryOf == nil ? "ONE_TIME" : "RETRY", user, now, heartbeatIntervalMillis, now])
            guard let run = try Self.run(db, id: db.lastInsertedRowID) else { throw VigilError(.internal, "the new run was not stored") }
            try Self.writeSlices(db, run, now: now)
            return run
        }
    }

    /// The runner started the command.
    public func markRunning(_ runID: Int64, host: String?) async throws -> JobRunRecord {
        try await change(runID) { run, now in
            guard run.lifeCycle == .pending else {
                throw VigilError(.invalidState, "run \(runID) is \(run.lifeCycle.rawValue); only a PENDING run can start")
            }
            run.lifeCycle = .running
            run.runningMillis = now
            run.host = host
            run.stateMessage = "Running on \(host ?? "the runner's host")"
        }
    }

    /// The runner is alive.
    public func heartbeat(_ runID: Int64) async throws -> JobRunRecord {
        try await change(runID) { run, _ in
            guard run.lifeCycle.isActive else {
                throw VigilError(.invalidState, "run \(runID) is \(run.lifeCycle.rawValue): \(run.stateMessage)")
            }
        }
    }

    public struct Outcome: Sendable {
        public var result: JobRunRecord.Result
        public var exitCode: Int?
        public var message: String
        public var executionEndMillis: Int64?
        public var cpuUserMillis: Int64?
        public var cpuSystemMillis: Int64?
        public var peakRSSBytes: Int64?

        public init(result: JobRunRecord.Result, exitCode: Int?, message: String, executionEndMillis: Int64?, cpuUserMillis: Int64?,
                    cpuSystemMillis: Int64?, peakRSSBytes: Int64?) {
            self.result = result
            self.exitCode = exitCode
            self.message = message
            self.executionEndMillis = executionEndMillis
            self.cpuUserMillis = cpuUserMillis
            self.cpuSystemMillis = cpuSystemMillis
            self.peakRSSBytes = peakRSSBytes
        }
    }

    /// The run ended (TERMINATED with its result).
    public func finish(_ runID: Int64, _ outcome: Outcome) async throws -> JobRunRecord {
        try await change(runID) { run, now in
            guard run.lifeCycle.isActive else {
                throw VigilError(.invalidState, "run \(runID) is already \(run.lifeCycle.rawValue): \(run.stateMessage)")
            }
            run.lifeCycle = .terminated
            run.result = outcome.result
            run.exitCode = outcome.exitCode
            run.stateMessage = outcome.message
            if run.runningMillis != nil { run.executionEndMillis = min(now, max(run.runningMillis!, outcome.executionEndMillis ?? now)) }
            run.endMillis = now
            run.cpuUserMillis = outcome.cpuUserMillis
            run.cpuSystemMillis = outcome.cpuSystemMillis
            run.peakRSSBytes = outcome.peakRSSBytes
        }
    }

    /// Runs whose runner stopped reporting become INTERNAL_ERROR; answers them.
    public func tick() async throws -> [JobRunRecord] {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            let overdue = try Row.fetchAll(db, sql: """
                SELECT run_id FROM job_runs WHERE end_time IS NULL AND ? - last_heartbeat > ? * heartbeat_interval_ms
                """, arguments: [now, Self.missedHeartbeats]).map { $0["run_id"] as Int64 }
            var lost: [JobRunRecord] = []
            for id in overdue {
                guard var run = try Self.run(db, id: id) else { continue }
                run.lifeCycle = .internalError
                run.stateMessage = "The runner (\(run.host ?? "unknown host")) stopped reporting \((now - run.lastHeartbeatMillis) / 1000) s ago"
                if run.runningMillis != nil { run.executionEndMillis = run.lastHeartbeatMillis }
                run.endMillis = now
                try Self.update(db, run)
                try Self.writeSlices(db, run, now: now)
                lost.append(run)
            }
            return lost
        }
    }

    public func run(_ runID: Int64) async throws -> JobRunRecord? {
        try await database.pool.read { db in try Self.run(db, id: runID) }
    }

    public struct RunFilter: Sendable {
        public var jobID: Int64?
        public var activeOnly = false
        public var completedOnly = false
        public var startFrom: Int64?
        public var startTo: Int64?
        public init() {}
    }

    /// Runs newest first (Databricks' order), skipping `offset`, at most `limit`, those `include` admits.
    public func runs(_ filter: RunFilter, offset: Int, limit: Int, include: @Sendable (JobRunRecord) -> Bool) async throws -> (runs: [JobRunRecord], more: Bool) {
        try await database.pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let job = filter.jobID { conditions.append("r.job_id = ?"); arguments += [job] }
            if filter.activeOnly { conditions.append("r.end_time IS NULL") }
            if filter.completedOnly { conditions.append("r.end_time IS NOT NULL") }
            if let from = filter.startFrom { conditions.append("r.start_time >= ?"); arguments += [from] }
            if let to = filter.startTo { conditions.append("r.start_time <= ?"); arguments += [to] }
            let filterSQL = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT r.*, j.name AS job_name, j.workspace_id AS workspace_id FROM job_runs r JOIN jobs j ON j.job_id = r.job_id
                \(filterSQL) ORDER BY r.run_id DESC
                """, arguments: arguments)
            return try Self.page(cursor, decode: Self.run, include: include, offset: offset, limit: limit)
        }
    }

    public static func jobNotFound(_ id: Int64) -> VigilError {
        VigilError(.invalidParameter, "Job \(id) does not exist.")
    }

    public static func runNotFound(_ id: Int64) -> VigilError {
        VigilError(.invalidParameter, "Run \(id) does not exist.")
    }

    // MARK: Rows

    func change(_ runID: Int64, _ body: @Sendable @escaping (inout JobRunRecord, Int64) throws -> Void) async throws -> JobRunRecord {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            guard var run = try Self.run(db, id: runID) else { throw Self.runNotFound(runID) }
            try body(&run, now)
            run.lastHeartbeatMillis = now
            try Self.update(db, run)
            try Self.writeSlices(db, run, now: now)
            return run
        }
    }

    static func update(_ db: Database, _ run: JobRunRecord) throws {
        try db.execute(sql: """
            UPDATE job_runs SET host = ?, life_cycle_state = ?, result_state = ?, state_message = ?, running_time = ?, execution_end_time = ?,
                end_time = ?, exit_code = ?, cpu_user_ms = ?, cpu_system_ms = ?, peak_rss_bytes = ?, last_heartbeat = ?
            WHERE run_id = ?
            """, arguments: [run.host, run.lifeCycle.rawValue, run.result?.rawValue, run.stateMessage, run.runningMillis, run.executionEndMillis,
                             run.endMillis, run.exitCode, run.cpuUserMillis, run.cpuSystemMillis, run.peakRSSBytes, run.lastHeartbeatMillis, run.runID])
    }

    /// The run's timeline slices up to its end (or now, while it runs); the result only on the last slice of an
    /// ended run.
    static func writeSlices(_ db: Database, _ run: JobRunRecord, now: Int64) throws {
        try db.execute(sql: "DELETE FROM job_run_slices WHERE run_id = ?", arguments: [String(run.runID)])
        let slices = RunSlices.slices(start: run.startMillis, end: run.endMillis ?? now)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO job_run_slices(workspace_id, job_id, run_id, period_start_time, period_end_time, trigger_type, run_type, run_name,
                compute_ids, result_state, termination_code, job_parameters)
            VALUES (?, ?, ?, ?, ?, ?, 'JOB_RUN', ?, '[]', ?, ?, '{}')
            """)
        for (index, slice) in slices.enumerated() {
            let last = index == slices.count - 1 && run.endMillis != nil
            try insert.execute(arguments: [run.workspaceID, String(run.jobID), String(run.runID), slice.start, slice.end,
                                           run.trigger == "RETRY" ? "RETRY" : "ONETIME", run.jobName,
                                           last ? run.timelineResult : nil, last ? run.terminationCode : nil])
        }
    }

    /// One page of a cursor's rows the caller may see: `offset` of them skipped, at most `limit` kept, and whether
    /// more follow (jobs and runs are filtered by permission as they are read, so SQL cannot count them).
    static func page<T>(_ cursor: RowCursor, decode: (Row) -> T, include: (T) -> Bool, offset: Int, limit: Int) throws -> ([T], Bool) {
        var found: [T] = []
        var skipped = 0
        while let row = try cursor.next() {
            let item = decode(row)
            guard include(item) else { continue }
            if skipped < offset { skipped += 1; continue }
            if found.count == limit { return (found, true) }
            found.append(item)
        }
        return (found, false)
    }

    static func job(_ db: Database, id: Int64) throws -> JobRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE job_id = ?", arguments: [id]).map(job)
    }

    static func job(_ row: Row) -> JobRecord {
        var settings: [JSONMember] = []
        if let text: String = row["settings"], case .object(let members)? = try? JSONParser.parse(Array(text.utf8)) { settings = members }
        return JobRecord(jobID: row["job_id"], name: row["name"], workspaceID: row["workspace_id"], creator: row["creator"],
                         createdMillis: row["created_time"], settings: settings)
    }

    static func run(_ db: Database, id: Int64) throws -> JobRunRecord? {
        try Row.fetchOne(db, sql: """
            SELECT r.*, j.name AS job_name, j.workspace_id AS workspace_id FROM job_runs r JOIN jobs j ON j.job_id = r.job_id WHERE r.run_id = ?
            """, arguments: [id]).map(run)
    }

    static func run(_ row: Row) -> JobRunRecord {
        JobRunRecord(
            runID: row["run_id"], jobID: row["job_id"], jobName: row["job_name"], workspaceID: row["workspace_id"], numberInJob: row["number_in_job"],
            attemptNumber: row["attempt_number"], originalAttemptRunID: row["original_attempt_run_id"], trigger: row["trigger"],
            creator: row["creator"], host: row["host"], lifeCycle: JobRunRecord.LifeCycle(rawValue: row["life_cycle_state"]) ?? .internalError,
            result: (row["result_state"] as String?).flatMap(JobRunRecord.Result.init), stateMessage: row["state_message"],
            startMillis: row["start_time"], runningMillis: row["running_time"], executionEndMillis: row["execution_end_time"],
            endMillis: row["end_time"], exitCode: row["exit_code"], cpuUserMillis: row["cpu_user_ms"], cpuSystemMillis: row["cpu_system_ms"],
            peakRSSBytes: row["peak_rss_bytes"], heartbeatIntervalMillis: row["heartbeat_interval_ms"], lastHeartbeatMillis: row["last_heartbeat"])
    }
}
