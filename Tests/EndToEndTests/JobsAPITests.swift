import Foundation
import NIOHTTP1
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// `vigil job run` against a live server, and the Jobs API that reads its runs back.
@Suite("Jobs")
struct JobsAPITests {
    static func environment(_ server: LiveServer, token: String? = nil) -> [String: String] {
        ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": token ?? server.adminToken]
    }

    static func runs(_ server: LiveServer, _ query: String = "", token: TokenChoice = .admin) async throws -> [JSONValue] {
        let reply = try await server.request(.GET, "/api/2.2/jobs/runs/list?" + query, token: token)
        guard reply.status == 200, case .array(let runs)? = try reply.json()["runs"] else { throw VigilError(.internal, "runs/list: \(reply.status) \(reply.text)") }
        return runs
    }

    /// The direct children of a running process: Linux lists them per thread (`/proc/PID/task/TID/children`), and
    /// any thread may have started one.
    static func children(of pid: Int32) -> [Int32] {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return threads.flatMap { thread in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    static func number(_ value: JSONValue?) -> Int64? {
        if case .number(let text)? = value { Int64(text) } else { nil }
    }

    @Test("a job run's result, exit code, durations, CPU time, peak memory and output; retries; a timeout")
    func runsAndResults() async throws {
        try await LiveServer.run { server in
            let ok = try await CommandRunner.run(["job", "run", "--job-name", "etl", "--", "sh", "-c", "echo loaded 42 rows; echo careful >&2"],
                                                 environment: Self.environment(server))
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stderr.contains("created job etl"))
            let failed = try await CommandRunner.run(["job", "run", "--job-name", "etl", "--retries", "1", "--", "sh", "-c", "exit 4"],
                                                     environment: Self.environment(server))
            #expect(failed.status == 4)
            let slow = try await CommandRunner.run(["job", "run", "--job-name", "slow", "--timeout", "1", "--", "sleep", "30"], environment: Self.environment(server))
            #expect(slow.status == 143, "SIGTERM at the timeout: \(slow.stderr)")
            let runs = try await Self.runs(server)
            // Newest first: the slow job's run, the retry, the failure, the success.
            #expect(runs.map { Self.number($0["run_id"]) } == [4, 3, 2, 1])
            #expect(runs.map { $0["state"]?["result_state"] } == [.string("TIMEDOUT"), .string("FAILED"), .string("FAILED"), .string("SUCCESS")])
            #expect(runs[1]["trigger"] == .string("RETRY") && runs[1]["attempt_number"] == .number("1") && runs[1]["original_attempt_run_id"] == .number("2"))
            #expect(runs[0]["state"]?["user_cancelled_or_timedout"] == .bool(true))
            let first = try await server.request(.GET, "/api/2.2/jobs/runs/get?run_id=1").json()
            #expect(first["state"]?["life_cycle_state"] == .string("TERMINATED") && first["exit_code"] == .number("0"))
            let durations = ["setup_duration", "execution_duration", "cleanup_duration"].compactMap { Self.number(first[$0]) }
            #expect(durations.count == 3 && durations.allSatisfy { $0 >= 0 })
            #expect(durations.reduce(0, +) == Self.number(first["run_duration"]))
            #expect((Self.number(first["peak_rss_bytes"]) ?? 0) > 100_000)
            #expect(Self.number(first["cpu_user_ms"]) != nil && first["host"] != nil)
            let output = try await server.request(.GET, "/api/2.2/jobs/runs/get-output?run_id=1").json()
            #expect(output["logs"] == .string("loaded 42 rows\ncareful") || output["logs"] == .string("careful\nloaded 42 rows"), "\(output)")
            #expect(output["metadata"]?["run_id"] == .number("1") && output["logs_truncated"] == .bool(false))
            #expect(try await server.request(.GET, "/api/2.2/jobs/runs/get-output?run_id=4").json()["error"] != nil)
            // Filters and paging.
            #expect(try await Self.runs(server, "job_id=2").count == 1)
            #expect(try await Self.runs(server, "active_only=true").isEmpty)
            #expect(try await Self.runs(server, "completed_only=true").count == 4)
            let started = Self.number(runs[1]["start_time"])!
            #expect(try await Self.runs(server, "start_time_from=\(started)&start_time_to=\(started)").map { Self.number($0["run_id"]) } == [3])
            let page = try await server.request(.GET, "/api/2.1/jobs/runs/list?limit=3").json()
            #expect(page["has_more"] == .bool(true))
            guard case .string(let token)? = page["next_page_token"] else { Issue.record("no token: \(page)"); return }
            #expect(try await Self.runs(server, "limit=3&page_token=\(token)").map { Self.number($0["run_id"]) } == [1])
            // Jobs by name; the metrics count the ends.
            let listed = try await server.request(.GET, "/api/2.2/jobs/list?name=etl").json()
            if case .array(let jobs)? = listed["jobs"] { #expect(jobs.count == 1 && jobs[0]["settings"]?["name"] == .string("etl")) }
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(metrics.contains(#"vigil_job_runs_total{result="FAILED"} 2"#) && metrics.contains(#"vigil_job_runs_total{result="TIMEDOUT"} 1"#))
            #expect(metrics.contains("vigil_job_run_duration_seconds_count 4"))
        }
    }

    @Test("SIGTERM to the runner cancels the run: CANCELED, no retry, the command's status")
    func cancelled() async throws {
        try await LiveServer.run { server in
            let runner = try RunningCommand(["job", "run", "--job-name", "stopped", "--retries", "2", "--", "sleep", "600"],
                                            environment: Self.environment(server))
            try await AppLogsTests.eventually {
                (try? await Self.runs(server))?.first?["state"]?["life_cycle_state"] == .string("RUNNING")
            }
            runner.signal(SIGTERM)
            #expect(try await runner.wait() == 143)
            let runs = try await Self.runs(server)
            #expect(runs.count == 1, "a cancelled run is not retried")
            #expect(runs.first?["state"]?["result_state"] == .string("CANCELED"))
            #expect(runs.first?["state"]?["user_cancelled_or_timedout"] == .bool(true))
        }
    }

    @Test("a runner killed mid-run leaves its run INTERNAL_ERROR after three missed heartbeats")
    func runnerKilled() async throws {
        var configuration = VigilConfiguration()
        configuration.clusterCheckInterval = .milliseconds(100)
        try await LiveServer.run(configuration: configuration) { server in
            // The command outlives any slow machine: a command that ended first would leave the run SUCCESS, not lost.
            let runner = try RunningCommand(["job", "run", "--job-name", "doomed", "--heartbeat", "1", "--", "sleep", "600"], environment: Self.environment(server))
            try await AppLogsTests.eventually {
                (try? await Self.runs(server))?.first?["state"]?["life_cycle_state"] == .string("RUNNING")
            }
            // The run is RUNNING just before the command starts. The runner's child survives its SIGKILL (as on a
            // real host); it is stopped when the test ends.
            let pid = runner.processIdentifier
            try await AppLogsTests.eventually { !Self.children(of: pid).isEmpty }
            let orphans = Self.children(of: pid)
            defer { for child in orphans { kill(child, SIGKILL) } }
            runner.signal(SIGKILL)
            try await AppLogsTests.eventually {
                (try? await Self.runs(server))?.first?["state"]?["life_cycle_state"] == .string("INTERNAL_ERROR")
            }
            let run = try await server.request(.GET, "/api/2.2/jobs/runs/get?run_id=1").json()
            #expect(run["status"]?["termination_details"]?["code"] == .string("INTERNAL_ERROR"))
            if case .string(let message)? = run["state"]?["state_message"] { #expect(message.contains("stopped reporting")) }
            // The runner cannot report a lost run.
            let late = try await server.request(.POST, "/api/2.0/vigil/jobs/runs/1/finish", json: #"{"result_state":"SUCCESS"}"#)
            #expect(late.status == 400 && late.text.contains("INTERNAL_ERROR"))
            let rows = try await ClustersAPITests.sql(server, "SELECT result_state, termination_code FROM system.lakeflow.job_run_timeline WHERE result_state IS NOT NULL")
            #expect(rows == [[.string("ERROR"), .string("INTERNAL_ERROR")]])
            #expect(try await server.request(.GET, "/metrics").text.contains(#"vigil_job_runs_total{result="INTERNAL_ERROR"} 1"#))
        }
    }

    @Test("CAN_VIEW sees runs, CAN_MANAGE_RUN runs the job; the creator owns it; ACL changes are audited as changeJobAcl")
    func permissions() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            guard case .value(let plain) = roles.tokens["plain user"]! else { return }
            let created = try await server.request(.POST, "/api/2.2/jobs/create", json: #"{"name":"private","tags":{"team":"data"}}"#)
            #expect(created.status == 200)
            #expect(try await server.request(.POST, "/api/2.2/jobs/create", json: #"{"name":"private"}"#).status == 409)
            #expect(try await server.request(.GET, "/api/2.2/jobs/get?job_id=1", token: .value(plain)).status == 403)
            #expect(try await Self.runs(server, token: .value(plain)).isEmpty)
            let refused = try await CommandRunner.run(["job", "run", "--job-name", "private", "--", "true"], environment: Self.environment(server, token: plain))
            #expect(refused.status == 2 && refused.stderr.contains("CAN_MANAGE_RUN"), "\(refused.stderr)")
            for (level, get, run) in [("CAN_VIEW", 200, 403), ("CAN_MANAGE_RUN", 200, 200)] {
                let grant = try await server.request(.PATCH, "/api/2.0/permissions/jobs/1",
                                                     json: #"{"access_control_list":[{"user_name":"plain@x.com","permission_level":"\#(level)"}]}"#)
                #expect(grant.status == 200, "\(grant.text)")
                #expect(try await server.request(.GET, "/api/2.2/jobs/get?job_id=1", token: .value(plain)).status == get)
                #expect(try await server.request(.POST, "/api/2.2/jobs/run-now", json: #"{"job_id":1}"#, token: .value(plain)).status == run)
            }
            let acl = try await server.request(.GET, "/api/2.0/permissions/jobs/1").json()
            #expect(JSONWriter.text(of: acl).contains(#""permission_level":"IS_OWNER""#) && acl["object_type"] == .string("job"))
            #expect(try await server.request(.GET, "/api/2.0/permissions/jobs/1", token: .value(plain)).status == 403)
            let rows = try await ClustersAPITests.sql(server, """
                SELECT action_name, request_params['job_id'] FROM system.access.audit WHERE service_name = 'jobs' AND action_name = 'changeJobAcl'
                """)
            #expect(rows == [[.string("changeJobAcl"), .string("1")], [.string("changeJobAcl"), .string("1")]])
            let jobs = try await ClustersAPITests.sql(server, "SELECT job_id, name, tags['team'], run_as FROM system.lakeflow.jobs")
            #expect(jobs == [[.string("1"), .string("private"), .string("data"), .string("admin")]])
        }
    }

    @Test("unknown jobs and runs, bad filters and bad reports are refused naming the field")
    func errors() async throws {
        try await LiveServer.run { server in
            for (method, path, body, fragment) in [
                (HTTPMethod.GET, "/api/2.2/jobs/get?job_id=9", nil as String?, "Job 9 does not exist"),
                (.GET, "/api/2.2/jobs/get?job_id=x", nil, "job_id must be a positive integer"),
                (.GET, "/api/2.2/jobs/runs/get?run_id=9", nil, "Run 9 does not exist"),
                (.GET, "/api/2.2/jobs/runs/list?active_only=true&completed_only=true", nil, "cannot both be true"),
                (.GET, "/api/2.2/jobs/runs/list?limit=26", nil, "limit"),
                (.GET, "/api/2.2/jobs/runs/list?page_token=junk", nil, "page_token"),
                (.POST, "/api/2.2/jobs/create", "{}", "name is required"),
                (.POST, "/api/2.2/jobs/create", #"{"name":"x","tags":{"a":1}}"#, "tags must be an object of string values"),
                (.POST, "/api/2.2/jobs/run-now", "{}", "job_id is required"),
                (.POST, "/api/2.2/jobs/run-now", #"{"job_id":1}"#, "Job 1 does not exist"),
            ] {
                let reply = try await server.request(method, path, body: body.map { Array($0.utf8) })
                #expect(reply.status == 400, "\(path): \(reply.text)")
                #expect(reply.text.contains(fragment), "\(path): \(reply.text)")
            }
            _ = try await server.request(.POST, "/api/2.2/jobs/create", json: #"{"name":"j"}"#)
            _ = try await server.request(.POST, "/api/2.2/jobs/run-now", json: #"{"job_id":1}"#)
            let finish = try await server.request(.POST, "/api/2.0/vigil/jobs/runs/1/finish", json: #"{"result_state":"GREAT"}"#)
            #expect(finish.status == 400 && finish.text.contains("result_state must be"))
            #expect(try await server.request(.POST, "/api/2.0/vigil/jobs/runs/1/start", json: #"{"host":"h"}"#).status == 200)
            #expect(try await server.request(.PATCH, "/api/2.0/permissions/jobs/01", json: #"{"access_control_list":[]}"#).status == 400)
            let again = try await server.request(.POST, "/api/2.0/vigil/jobs/runs/1/start", json: #"{"host":"h"}"#)
            #expect(again.status == 400)
            #expect(try again.json()["error_code"] == .string("INVALID_STATE"))
            // Once ended, a run takes no more output.
            #expect(try await server.request(.POST, "/api/2.0/vigil/jobs/runs/1/finish", json: #"{"result_state":"SUCCESS","exit_code":0}"#).status == 200)
            let late = try await server.request(.POST, "/api/2.0/vigil/jobs/runs/1/output", body: Array(#"{"message":"late"}"#.utf8),
                                                contentType: "application/x-ndjson")
            #expect(late.status == 400 && late.text.contains("output is closed"), "\(late.text)")
        }
    }
}
