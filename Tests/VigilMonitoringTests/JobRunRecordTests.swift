import Testing
import VigilCore
@testable import VigilMonitoring

/// A run's durations and the names its result takes in the Run and in `job_run_timeline`.
@Suite struct JobRunRecordTests {
    func run(_ life: JobRunRecord.LifeCycle, _ result: JobRunRecord.Result?, running: Int64? = 1_100, executionEnd: Int64? = 5_000,
             end: Int64? = 5_300) -> JobRunRecord {
        JobRunRecord(
            runID: 7, jobID: 3, jobName: "etl", workspaceID: "0", numberInJob: 1, attemptNumber: 0, originalAttemptRunID: nil, trigger: "ONE_TIME",
            creator: "a", host: "h", lifeCycle: life, result: result, stateMessage: "", startMillis: 1_000, runningMillis: running,
            executionEndMillis: executionEnd, endMillis: end, exitCode: 0, cpuUserMillis: nil, cpuSystemMillis: nil, peakRSSBytes: nil,
            heartbeatIntervalMillis: 10_000, lastHeartbeatMillis: 1_000)
    }

    @Test func durationsAddUpToTheRun() {
        let ended = run(.terminated, .success)
        #expect(ended.setupDuration == 100 && ended.executionDuration == 3_900 && ended.cleanupDuration == 300)
        #expect(ended.setupDuration + ended.executionDuration + ended.cleanupDuration == ended.runDuration)
        // While it runs nothing has ended: no run duration yet.
        let running = run(.running, nil, executionEnd: nil, end: nil)
        #expect(running.runDuration == 0 && running.executionDuration == 0 && running.cleanupDuration == 0)
        // A run that never started its command (lost while PENDING) took no execution time.
        let lost = run(.internalError, nil, running: nil, executionEnd: nil, end: 40_000)
        #expect(lost.setupDuration == 0 && lost.executionDuration == 0 && lost.runDuration == 39_000)
    }

    @Test func resultNamesInTheRunAndTheTimeline() {
        let cases: [(JobRunRecord.LifeCycle, JobRunRecord.Result?, String?, String?)] = [
            (.terminated, .success, "SUCCEEDED", "SUCCESS"), (.terminated, .failed, "FAILED", "RUN_EXECUTION_ERROR"),
            (.terminated, .timedOut, "TIMED_OUT", "TIMEOUT"), (.terminated, .canceled, "CANCELLED", "CANCELED"),
            (.internalError, nil, "ERROR", "INTERNAL_ERROR"), (.running, nil, nil, nil),
        ]
        for (life, result, timeline, code) in cases {
            let record = run(life, result)
            #expect(record.timelineResult == timeline && record.terminationCode == code, "\(life) \(String(describing: result))")
        }
        #expect(JobRunRecord.LifeCycle.allCases.filter(\.isActive) == [.pending, .running, .terminating])
    }
}
