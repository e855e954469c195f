import Hummingbird
import VigilAccess
import VigilCore
import VigilLogs
import VigilMonitoring

/// The Jobs API (reference databricks.md §4.5) at `/api/2.2` and the `/api/2.1` paths older clients use: create,
/// run-now, list, get, runs/list, runs/get and runs/get-output, in the shapes `databricks-sdk` reads; and the
/// runner's side under `/api/2.0/vigil/jobs/runs/{run_id}/`: start, heartbeat, finish and output, which
/// `vigil job run` calls. The job a request is about is in its body, query or path, so the per-job level (CAN_VIEW
/// to see it, CAN_MANAGE_RUN to run it and report its runs) is decided here.
///
/// Audited as Databricks records jobs: `create`, `runNow`, `runStart`, `runSucceeded`, `runFailed`, with
/// `request_params` `jobId` and `runId`.
struct JobsController {
    let jobs: JobStore
    let logs: LogStore
    let limits: LogLimits
    let metrics: VigilMetrics
    let clock: any WallClock

    static let versions = ["/api/2.2", "/api/2.1"]
    /// `runs/get-output` answers at most the last 5 MB of a run's output, as Databricks does.
    static let maxOutputBytes = 5_000_000

    func register(on router: Router<VigilRequestContext>) {
        for version in Self.versions {
            router.on(RouteTable.entry(.post, version + "/jobs/create"), use: create)
            router.on(RouteTable.entry(.post, version + "/jobs/run-now"), use: runNow)
            router.on(RouteTable.entry(.get, version + "/jobs/list"), use: list)
            router.on(RouteTable.entry(.get, version + "/jobs/get"), use: get)
            router.on(RouteTable.entry(.get, version + "/jobs/runs/list"), use: listRuns)
            router.on(RouteTable.entry(.get, version + "/jobs/runs/get"), use: getRun)
            router.on(RouteTable.entry(.get, version + "/jobs/runs/get-output"), use: getOutput)
        }
        let runner = "/api/2.0/vigil/jobs/runs/{run_id}"
        router.on(RouteTable.entry(.post, runner + "/start"), use: start)
        router.on(RouteTable.entry(.post, runner + "/heartbeat"), use: heartbeat)
        router.on(RouteTable.entry(.post, runner + "/finish"), use: finish)
        router.on(RouteTable.entry(.post, runner + "/output"), use: output)
    }

    static let settingFields: Set<String> = [
        "name", "description", "tags", "timeout_seconds", "max_retries", "email_notifications", "webhook_notifications", "max_concurrent_runs",
        "tasks", "job_clusters", "schedule", "trigger", "format", "parameters", "run_as", "queue", "health", "budget_policy_id",
    ]

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await RequestBody.read(request, allowed: Self.settingFields)
        guard let name = try body.string("name"), !name.isEmpty, name.count <= 4096,
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw VigilError(.invalidParameter, "name is required: 1 to 4096 characters without control characters (Vigil finds jobs by name)")
        }
        if let tags = body.members.first(where: { $0.key == "tags" })?.value {
            guard case .object(let members) = tags, members.allSatisfy({ if case .string = $0.value { true } else { false } }) else {
                throw VigilError(.invalidParameter, "tags must be an object of string values")
            }
        }
        for key in ["timeout_seconds", "max_retries"] {
            if let value = body.members.first(where: { $0.key == key })?.value, value != .null {
                guard case .number(let text) = value, let number = Int(text), number >= (key == "max_retries" ? -1 : 0) else {
                    throw VigilError(.invalidParameter, "\(key) must be a non-negative integer")
                }
            }
        }
        context.auditNote.set("name", name)
        let job = try await jobs.create(name: name, settings: body.members, creator: try context.requirePrincipal())
        context.auditNote.set("jobId", String(job.jobID))
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("job_id", .number(String(job.jobID)))])).utf8Bytes)
    }

    @Sendable func runNow(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await RequestBody.read(request, allowed: ["job_id", "retry_of", "heartbeat_seconds", "idempotency_token", "job_parameters"])
        let jobID = try Self.id(body.members.first { $0.key == "job_id" }?.value, name: "job_id")
        context.auditNote.set("jobId", String(jobID))
        try await authorize(jobID, .manageRun, context)
        let retryOf = try body.members.first { $0.key == "retry_of" }.map { try Self.id($0.value, name: "retry_of") }
        var interval: Int64 = 10_000
        if let value = body.members.first(where: { $0.key == "heartbeat_seconds" })?.value {
            guard case .number(let text) = value, let seconds = Int64(text), (1...3600).contains(seconds) else {
                throw VigilError(.invalidParameter, "heartbeat_seconds must be an integer between 1 and 3600")
            }
            interval = seconds * 1000
        }
        let run = try await jobs.runNow(jobID: jobID, user: try context.requirePrincipal().userName, retryOf: retryOf, heartbeatIntervalMillis: interval)
        context.auditNote.set("runId", String(run.runID))
        return JSONResponse.make(JSONWriter.text(of: .object([
            JSONMember("run_id", .number(String(run.runID))), JSONMember("number_in_job", .number(String(run.numberInJob))),
        ])).utf8Bytes)
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["limit", "offset", "page_token", "name", "expand_tasks"])
        let limit = try query.integer("limit", range: 1...100) ?? 20
        let after = try query.string("page_token").map { try Self.decodeToken($0, prefix: "j1.") } ?? 0
        let offset = try query.integer("offset", range: 0...1_000_000) ?? 0
        let access = try context.requireAccess()
        let page = try await jobs.jobs(after: after, offset: offset, limit: limit, name: try query.string("name")) {
            access.has(.view, onJob: String($0.jobID))
        }
        var members = [JSONMember("jobs", .array(page.jobs.map(JobJSON.job))), JSONMember("has_more", .bool(page.more))]
        if page.more, let last = page.jobs.last { members.append(JSONMember("next_page_token", .string(Base64URL.encode("j1.\(last.jobID)")))) }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["job_id", "page_token"])
        let jobID = try Self.id(try query.string("job_id").map(JSONValue.string), name: "job_id")
        context.auditNote.set("jobId", String(jobID))
        let job = try await authorize(jobID, .view, context)
        return JSONResponse.make(JSONWriter.text(of: JobJSON.job(job)).utf8Bytes)
    }

    @Sendable func listRuns(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: [
            "job_id", "active_only", "completed_only", "start_time_from", "start_time_to", "limit", "offset", "page_token", "run_type",
            "expand_tasks",
        ])
        var filter = JobStore.RunFilter()
        filter.jobID = try query.string("job_id").map { try Self.id(.string($0), name: "job_id") }
        filter.activeOnly = try AppsController.boolean(query.string("active_only"), name: "active_only")
        filter.completedOnly = try AppsController.boolean(query.string("completed_only"), name: "completed_only")
        if filter.activeOnly, filter.completedOnly { throw VigilError(.invalidParameter, "active_only and completed_only cannot both be true") }
        for (key, path) in [("start_time_from", \JobStore.RunFilter.startFrom), ("start_time_to", \JobStore.RunFilter.startTo)] {
            if let text = try query.string(key) {
                guard let millis = Int64(text), millis >= 0 else { throw VigilError(.invalidParameter, "\(key) must be epoch milliseconds") }
                filter[keyPath: path] = millis
            }
        }
        if let type = try query.string("run_type"), !["JOB_RUN", "SUBMIT_RUN", "WORKFLOW_RUN"].contains(type) {
            throw VigilError(.invalidParameter, "run_type must be JOB_RUN, SUBMIT_RUN or WORKFLOW_RUN")
        }
        let onlyJobRuns = try query.string("run_type").map { $0 == "JOB_RUN" } ?? true
        let limit = try query.integer("limit", range: 1...25) ?? 25
        var offset = try query.integer("offset", range: 0...1_000_000) ?? 0
        if let token = try query.string("page_token") { offset = Int(try Self.decodeToken(token, prefix: "r1.")) }
        let access = try context.requireAccess()
        if let job = filter.jobID { try await authorize(job, .view, context) }
        let page = onlyJobRuns
            ? try await jobs.runs(filter, offset: offset, limit: limit) { access.has(.view, onJob: String($0.jobID)) }
            : (runs: [], more: false)
        var members = [JSONMember("runs", .array(page.runs.map(JobJSON.run))), JSONMember("has_more", .bool(page.more))]
        if page.more { members.append(JSONMember("next_page_token", .string(Base64URL.encode("r1.\(offset + page.runs.count)")))) }
        if offset > 0 { members.append(JSONMember("prev_page_token", .string(Base64URL.encode("r1.\(max(0, offset - limit))")))) }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    @Sendable func getRun(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["run_id", "include_history", "include_resolved_values", "page_token"])
        let run = try await visibleRun(try Self.id(try query.string("run_id").map(JSONValue.string), name: "run_id"), .view, context)
        return JSONResponse.make(JSONWriter.text(of: JobJSON.run(run)).utf8Bytes)
    }

    @Sendable func getOutput(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["run_id"])
        let run = try await visibleRun(try Self.id(try query.string("run_id").map(JSONValue.string), name: "run_id"), .view, context)
        let (messages, truncated) = try await logs.newestMessages(appKey: -run.runID, maxBytes: Self.maxOutputBytes)
        let text = messages.joined(separator: "\n")
        var members = [JSONMember("metadata", JobJSON.run(run)), JSONMember("logs", .string(text)), JSONMember("logs_truncated", .bool(truncated))]
        if run.lifeCycle == .internalError || run.result == .failed || run.result == .timedOut {
            members.append(JSONMember("error", .string(run.stateMessage)))
        }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    // MARK: The runner's side

    @Sendable func start(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await RequestBody.read(request, allowed: ["host"])
        let run = try await runnerRun(context)
        let started = try await jobs.markRunning(run.runID, host: try body.string("host"))
        return JSONResponse.make(JSONWriter.text(of: JobJSON.run(started)).utf8Bytes)
    }

    @Sendable func heartbeat(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try await RequestBody.read(request, allowed: [])
        let run = try await runnerRun(context)
        let alive = try await jobs.heartbeat(run.runID)
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("state", JobJSON.state(alive))])).utf8Bytes)
    }

    @Sendable func finish(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await RequestBody.read(request, allowed: [
            "result_state", "exit_code", "state_message", "execution_end_time", "cpu_user_ms", "cpu_system_ms", "peak_rss_bytes",
        ])
        let run = try await runnerRun(context)
        guard let text = try body.string("result_state"), let result = JobRunRecord.Result(rawValue: text) else {
            throw VigilError(.invalidParameter, "result_state must be SUCCESS, FAILED, TIMEDOUT or CANCELED")
        }
        func number(_ key: String) throws -> Int64? {
            guard let value = body.members.first(where: { $0.key == key })?.value, value != .null else { return nil }
            guard case .number(let text) = value, let number = Int64(text), number >= (key == "exit_code" ? -1 : 0) else {
                throw VigilError(.invalidParameter, "\(key) must be a non-negative integer")
            }
            return number
        }
        let outcome = JobStore.Outcome(
            result: result, exitCode: try number("exit_code").map { Int($0) }, message: String((try body.string("state_message") ?? "").prefix(4096)),
            executionEndMillis: try number("execution_end_time"), cpuUserMillis: try number("cpu_user_ms"), cpuSystemMillis: try number("cpu_system_ms"),
            peakRSSBytes: try number("peak_rss_bytes"))
        let ended = try await jobs.finish(run.runID, outcome)
        context.auditNote.action = ("jobs", result == .success ? "runSucceeded" : "runFailed")
        context.auditNote.set("result_state", result.rawValue)
        metrics.jobRunEnded(ended)
        return JSONResponse.make(JSONWriter.text(of: JobJSON.run(ended)).utf8Bytes)
    }

    @Sendable func output(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let run = try await runnerRun(context)
        guard run.lifeCycle.isActive else {
            throw VigilError(.invalidState, "run \(run.runID) is \(run.lifeCycle.rawValue): its output is closed")
        }
        let batchKey = try AppLogsController.batchKey(request)
        let body = try await RequestBody.collect(request, limit: 16 << 20, hint: "; send fewer lines per request")
        let decoded: DecodedLogs
        do {
            decoded = try NDJSONLogDecoder(limits: limits).decode(body, contentType: request.headers[.contentType], app: "job-run", receivedMillis: clock.nowMillis())
        } catch {
            throw VigilError(.validationFailed, "the output was refused and nothing was stored: "
                             + error.problems.prefix(20).map { $0.description(item: "line") }.joined(separator: "; "), problems: error.problems)
        }
        let lines = decoded.apps.flatMap(\.lines)
        context.auditNote.set("lines", String(lines.count))
        let result = try await logs.append(lines, appKey: -run.runID, appName: "jobs/\(run.jobName)/runs/\(run.runID)", batchKey: batchKey,
                                           receivedMillis: clock.nowMillis())
        let stored: Int = if case .stored(let lines) = result { lines.count } else { 0 }
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("accepted", .number(String(stored)))])).utf8Bytes)
    }

    // MARK: Helpers

    /// The run named by the path, when the caller may report it (CAN_MANAGE_RUN on its job).
    func runnerRun(_ context: VigilRequestContext) async throws -> JobRunRecord {
        let text = context.parameters.get("run_id") ?? ""
        let run = try await visibleRun(try Self.id(.string(text), name: "run_id"), .manageRun, context)
        context.auditNote.set("jobId", String(run.jobID))
        return run
    }

    func visibleRun(_ runID: Int64, _ level: Access.JobLevel, _ context: VigilRequestContext) async throws -> JobRunRecord {
        context.auditNote.set("runId", String(runID))
        guard let run = try await jobs.run(runID) else { throw JobStore.runNotFound(runID) }
        try await authorize(run.jobID, level, context)
        return run
    }

    @discardableResult
    func authorize(_ jobID: Int64, _ level: Access.JobLevel, _ context: VigilRequestContext) async throws -> JobRecord {
        let access = try context.requireAccess()
        guard let job = try await jobs.job(id: jobID) else { throw JobStore.jobNotFound(jobID) }
        guard access.has(level, onJob: String(jobID)) else {
            throw VigilError(.permissionDenied, "\(access.principal.userName) does not have permission for this request; it needs \(level.name) on jobs/\(jobID)")
        }
        return job
    }

    /// A job or run id: a positive integer, as a JSON number or a string of digits.
    static func id(_ value: JSONValue?, name: String) throws -> Int64 {
        switch value {
        case nil, .null?: throw VigilError(.invalidParameter, "\(name) is required")
        case .number(let text)?, .string(let text)?:
            guard let id = Int64(text), id > 0 else { throw VigilError(.invalidParameter, "\(name) must be a positive integer, got '\(text.prefix(32))'") }
            return id
        default: throw VigilError(.invalidParameter, "\(name) must be an integer")
        }
    }

    static func decodeToken(_ token: String, prefix: String) throws -> Int64 {
        guard let text = Base64URL.decode(token), text.hasPrefix(prefix), let value = Int64(text.dropFirst(prefix.count)), value >= 0 else {
            throw VigilError(.invalidParameter, "page_token is not a token this server issued; start again without it")
        }
        return value
    }
}
