import VigilCore
import VigilMonitoring

/// Jobs and runs as the Jobs API answers them (Databricks' Job and Run): what `databricks-sdk` reads, plus Vigil's
/// measurements of the command (`exit_code`, `cpu_user_ms`, `cpu_system_ms`, `peak_rss_bytes`, `host`).
enum JobJSON {
    static func job(_ job: JobRecord) -> JSONValue {
        .object([
            JSONMember("job_id", .number(String(job.jobID))), JSONMember("creator_user_name", .string(job.creator)),
            JSONMember("run_as_user_name", .string(job.creator)), JSONMember("created_time", .number(String(job.createdMillis))),
            JSONMember("settings", .object(job.settings)),
        ])
    }

    static func state(_ run: JobRunRecord) -> JSONValue {
        var members = [JSONMember("life_cycle_state", .string(run.lifeCycle.rawValue))]
        if let result = run.result { members.append(JSONMember("result_state", .string(result.rawValue))) }
        members.append(JSONMember("state_message", .string(run.stateMessage)))
        members.append(JSONMember("user_cancelled_or_timedout", .bool(run.result == .canceled || run.result == .timedOut)))
        return .object(members)
    }

    static func run(_ run: JobRunRecord) -> JSONValue {
        var members = [
            JSONMember("job_id", .number(String(run.jobID))), JSONMember("run_id", .number(String(run.runID))),
            JSONMember("run_name", .string(run.jobName)), JSONMember("number_in_job", .number(String(run.numberInJob))),
            JSONMember("attempt_number", .number(String(run.attemptNumber))),
        ]
        if let original = run.originalAttemptRunID { members.append(JSONMember("original_attempt_run_id", .number(String(original)))) }
        members += [
            JSONMember("creator_user_name", .string(run.creator)), JSONMember("run_type", .string("JOB_RUN")),
            JSONMember("trigger", .string(run.trigger)), JSONMember("state", state(run)),
            JSONMember("status", status(run)),
            JSONMember("start_time", .number(String(run.startMillis))), JSONMember("end_time", .number(String(run.endMillis ?? 0))),
            JSONMember("setup_duration", .number(String(run.setupDuration))),
            JSONMember("execution_duration", .number(String(run.executionDuration))),
            JSONMember("cleanup_duration", .number(String(run.cleanupDuration))),
            JSONMember("run_duration", .number(String(run.runDuration))), JSONMember("queue_duration", .number("0")),
        ]
        if let host = run.host { members.append(JSONMember("host", .string(host))) }
        if let code = run.exitCode { members.append(JSONMember("exit_code", .number(String(code)))) }
        if let cpu = run.cpuUserMillis { members.append(JSONMember("cpu_user_ms", .number(String(cpu)))) }
        if let cpu = run.cpuSystemMillis { members.append(JSONMember("cpu_system_ms", .number(String(cpu)))) }
        if let rss = run.peakRSSBytes { members.append(JSONMember("peak_rss_bytes", .number(String(rss)))) }
        return .object(members)
    }

    /// The newer `status` object: `state` (QUEUED, PENDING, RUNNING, TERMINATING, TERMINATED) and, once ended,
    /// `termination_details` {code, type, message}.
    static func status(_ run: JobRunRecord) -> JSONValue {
        let state = run.lifeCycle == .internalError ? "TERMINATED" : run.lifeCycle.rawValue
        var members = [JSONMember("state", .string(state))]
        if let code = run.terminationCode {
            let type = run.lifeCycle == .internalError ? "INTERNAL_ERROR" : run.result == .success ? "SUCCESS" : run.result == .canceled ? "SUCCESS" : "CLIENT_ERROR"
            members.append(JSONMember("termination_details", .object([
                JSONMember("code", .string(code)), JSONMember("type", .string(type)), JSONMember("message", .string(run.stateMessage)),
            ])))
        }
        return .object(members)
    }
}
