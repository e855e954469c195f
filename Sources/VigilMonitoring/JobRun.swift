import VigilCore

/// A job (Databricks' Job: an id, its creator and its settings) as Vigil stores it.
public struct JobRecord: Sendable, Equatable {
    public var jobID: Int64
    public var name: String
    public var workspaceID: String
    public var creator: String
    public var createdMillis: Int64
    /// JobSettings as given (`name`, `tags`, `timeout_seconds`, `max_retries`, `description`, ...), as JSON members.
    public var settings: [JSONMember]
}

/// One run of a job: its lifecycle as `vigil job run` reported it (Databricks' Run, reference databricks.md §4.5).
public struct JobRunRecord: Sendable, Equatable {
    public enum LifeCycle: String, Sendable, CaseIterable {
        case pending = "PENDING", running = "RUNNING", terminating = "TERMINATING", terminated = "TERMINATED", skipped = "SKIPPED"
        case internalError = "INTERNAL_ERROR"

        public var isActive: Bool { self == .pending || self == .running || self == .terminating }
    }

    public enum Result: String, Sendable, CaseIterable {
        case success = "SUCCESS", failed = "FAILED", timedOut = "TIMEDOUT", canceled = "CANCELED"
    }

    public var runID: Int64
    public var jobID: Int64
    public var jobName: String
    public var workspaceID: String
    public var numberInJob: Int64
    public var attemptNumber: Int
    public var originalAttemptRunID: Int64?
    /// `ONE_TIME` (a run of `vigil job run`) or `RETRY` (its --retries).
    public var trigger: String
    public var creator: String
    public var host: String?
    public var lifeCycle: LifeCycle
    public var result: Result?
    public var stateMessage: String
    /// When the run was asked for (PENDING), its command started (RUNNING), the command ended, and the run ended.
    public var startMillis: Int64
    public var runningMillis: Int64?
    public var executionEndMillis: Int64?
    public var endMillis: Int64?
    public var exitCode: Int?
    public var cpuUserMillis: Int64?
    public var cpuSystemMillis: Int64?
    public var peakRSSBytes: Int64?
    public var heartbeatIntervalMillis: Int64
    public var lastHeartbeatMillis: Int64

    /// Milliseconds from the request to the command's start; from its start to its end; from its end to the run's end.
    public var setupDuration: Int64 { runningMillis.map { $0 - startMillis } ?? 0 }
    public var executionDuration: Int64 {
        guard let running = runningMillis, let ended = executionEndMillis ?? (lifeCycle.isActive ? nil : endMillis) else { return 0 }
        return ended - running
    }
    public var cleanupDuration: Int64 {
        guard let ended = executionEndMillis, let end = endMillis else { return 0 }
        return end - ended
    }
    public var runDuration: Int64 { endMillis.map { $0 - startMillis } ?? 0 }

    /// `result_state` of `system.lakeflow.job_run_timeline` (its own spelling).
    public var timelineResult: String? {
        if lifeCycle == .internalError { return "ERROR" }
        switch result {
        case .success?: return "SUCCEEDED"
        case .failed?: return "FAILED"
        case .timedOut?: return "TIMED_OUT"
        case .canceled?: return "CANCELLED"
        case nil: return nil
        }
    }

    /// `termination_code` of the timeline and `status.termination_details.code` of the Run.
    public var terminationCode: String? {
        if lifeCycle == .internalError { return "INTERNAL_ERROR" }
        switch result {
        case .success?: return "SUCCESS"
        case .failed?: return "RUN_EXECUTION_ERROR"
        case .timedOut?: return "TIMEOUT"
        case .canceled?: return "CANCELED"
        case nil: return nil
        }
    }
}

/// `system.lakeflow.job_run_timeline` cuts a run into slices at clock-hour boundaries (a run from 10:50 to 12:10 is
/// 10:50–11:00, 11:00–12:00, 12:00–12:10), so hourly sums need no splitting; a run's time is the sum of its slices.
public enum RunSlices {
    static let hour: Int64 = 3_600_000

    /// The slices of [start, end); one empty slice for a run that has not taken any time yet.
    public static func slices(start: Int64, end: Int64) -> [(start: Int64, end: Int64)] {
        guard end > start else { return [(start, start)] }
        var slices: [(Int64, Int64)] = []
        var from = start
        while from < end {
            let boundary = (from / hour + 1) * hour
            let to = min(boundary, end)
            slices.append((from, to))
            from = to
        }
        return slices
    }
}
