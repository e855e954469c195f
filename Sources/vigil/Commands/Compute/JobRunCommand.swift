import ArgumentParser
import AsyncHTTPClient
import Foundation
import Synchronization
import VigilAgent
import VigilCore

#if canImport(Glibc)
import Glibc
#endif

/// `vigil job` and `vigil job run --job-name NAME -- CMD ARGS…`: runs a command as one run of a job, as a Databricks
/// job run: PENDING, RUNNING, then TERMINATED with SUCCESS, FAILED, TIMEDOUT or CANCELED, its durations, exit code,
/// CPU time and peak memory; its output becomes the run's output (`runs/get-output`).
struct JobCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "job", abstract: "Run a command as a job run (vigil job run).", subcommands: [JobRunCommand.self])
}

struct JobRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command as one run of a job (created on first use), reporting its lifecycle, result and output.",
        discussion: """
            The job is found by name, or created (you become its owner). Each attempt is a run: PENDING, then RUNNING \
            when the command starts, then TERMINATED with SUCCESS (exit 0), FAILED, TIMEDOUT (--timeout passed: the \
            command gets SIGTERM, then SIGKILL 10 s later) or CANCELED (SIGINT or SIGTERM passed on to it). A failed or \
            timed-out attempt is retried up to --retries times, each retry a run of its own (trigger RETRY). The \
            command's standard output and error become the run's output, shipped as it runs. While it runs, a \
            heartbeat every --heartbeat seconds tells the server the runner lives: if they stop (the runner or its host \
            is gone), the run becomes INTERNAL_ERROR. The exit status is the last attempt's.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .customLong("job-name"), help: "The job (created on first use).") var jobName: String
    @Option(help: "Seconds the command may run before it is stopped (TIMEDOUT); 0 = no limit.") var timeout: Int = 0
    @Option(help: "How many times a failed or timed-out run is tried again.") var retries: Int = 0
    @Option(help: "Seconds between heartbeats (the run is lost after three missed).") var heartbeat: Int = 10
    @Flag(help: "Also copy the command's output to this process's standard output and error.") var tee = false
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        guard !jobName.isEmpty, jobName.count <= 4096 else { throw ValidationError("--job-name must be 1 to 4096 characters") }
        guard !command.drop(while: { $0 == "--" }).isEmpty else { throw ValidationError("give the command to run after --, e.g. vigil job run --job-name nightly -- ./etl.sh") }
        guard timeout >= 0, (0...100).contains(retries), (1...3600).contains(heartbeat) else {
            throw ValidationError("--timeout ≥ 0, --retries 0 to 100 and --heartbeat 1 to 3600")
        }
    }

    func run() async throws {
        var command = command
        if command.first == "--" { command.removeFirst() }
        let client = try VigilClient(connection)
        let jobID = try await findOrCreateJob(client)
        var retryOf: Int64?
        var code: Int32 = 0
        for attempt in 0...retries {
            let runNow = try await client.call(.POST, "/api/2.2/jobs/run-now", body: Self.json([
                JSONMember("job_id", .number(String(jobID))), JSONMember("heartbeat_seconds", .number(String(heartbeat))),
            ] + (retryOf.map { [JSONMember("retry_of", .number(String($0)))] } ?? [])))
            guard case .number(let text)? = runNow["run_id"], let runID = Int64(text) else { throw CLIFailure("run-now answered no run_id") }
            let (result, exitCode) = try await runOnce(command, runID: runID, client: client)
            code = exitCode
            say("run \(runID) of job \(jobName) (attempt \(attempt + 1)): \(result)")
            // A cancelled run, or a signal after the command ended, stops the retries.
            guard result == "FAILED" || result == "TIMEDOUT", attempt < retries, !ChildProcess.interruptedAfterExit else { break }
            retryOf = runID
        }
        throw ExitCode(code)
    }

    func findOrCreateJob(_ client: VigilClient, createdElsewhere: Bool = false) async throws -> Int64 {
        let found = try await client.call(.GET, "/api/2.2/jobs/list", query: [("name", jobName), ("limit", "1")])
        if case .array(let jobs)? = found["jobs"], case .number(let text)? = jobs.first?["job_id"], let id = Int64(text) { return id }
        if createdElsewhere {
            throw CLIFailure("job \(jobName) exists but you may not see it: running it needs CAN_MANAGE_RUN on it (ask its owner)", exitCode: 2)
        }
        var settings = [JSONMember("name", .string(jobName))]
        if timeout > 0 { settings.append(JSONMember("timeout_seconds", .number(String(timeout)))) }
        if retries > 0 { settings.append(JSONMember("max_retries", .number(String(retries)))) }
        let created = try await client.send(.POST, "/api/2.2/jobs/create", body: Self.json(settings))
        if created.status == 409 {
            // Another runner created it first, or it is a job this caller may not see.
            return try await findOrCreateJob(client, createdElsewhere: true)
        }
        guard (200..<300).contains(created.status) else { throw VigilClient.failure(for: created) }
        guard case .number(let text)? = try created.json()["job_id"], let id = Int64(text) else { throw CLIFailure("jobs/create answered no job_id") }
        say("created job \(jobName) (job_id \(id))")
        return id
    }

    /// One attempt: starts the command, ships its output, heartbeats, enforces the timeout, reports the end.
    func runOnce(_ command: [String], runID: Int64, client: VigilClient) async throws -> (String, Int32) {
        let base = "/api/2.0/vigil/jobs/runs/\(runID)"
        let clock = SystemWallClock()
        let queue = try ShipQueue(spoolDirectory: nil)
        let shipper = LogShipper(client: client.http, url: client.baseURL + base + "/output", token: Secret(client.token), queue: queue)
        // The run is RUNNING before the command starts: a refused start leaves no command running unreported.
        _ = try await client.call(.POST, base + "/start", body: Self.json([JSONMember("host", .string(ProcessInfo.processInfo.hostName))]))
        let child: ChildProcess
        do {
            child = try ChildProcess(command: command)
        } catch {
            _ = try? await client.call(.POST, base + "/finish", body: Self.json([
                JSONMember("result_state", .string("FAILED")), JSONMember("exit_code", .number("127")), JSONMember("state_message", .string("\(error)")),
            ]))
            throw CLIFailure("\(error)", exitCode: 127)
        }
        ChildProcess.resetSignals()
        child.forwardSignals()
        let inputEnded = Atomic<Bool>(false)
        let deadline = Mutex<ContinuousClock.Instant?>(nil)
        let shipping = Task { await shipper.run(inputEnded: { inputEnded.load(ordering: .relaxed) }, deadline: { deadline.withLock { $0 } }) }
        let out = PipeReader.start(child.stdout, stream: .stdout, maxLineBytes: 64 << 10, queue: queue, tee: tee ? 1 : nil, clock: clock,
                                   notify: { shipper.notify() })
        let err = PipeReader.start(child.stderr, stream: .stderr, maxLineBytes: 64 << 10, queue: queue, tee: tee ? 2 : nil, clock: clock,
                                   notify: { shipper.notify() })
        let interval = heartbeat
        let beating = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { break }
                _ = try? await client.send(.POST, base + "/heartbeat", body: Array("{}".utf8))
            }
        }
        let timedOut = Atomic<Bool>(false)
        let pid = child.pid
        let limit = timeout
        let watchdog = Task {
            guard limit > 0 else { return }
            try await Task.sleep(for: .seconds(limit))
            timedOut.store(true, ordering: .relaxed)
            kill(pid, SIGTERM)
            try await Task.sleep(for: .seconds(10))
            kill(pid, SIGKILL)
        }
        let exit = await child.waitForExitWithUsage()
        let ended = clock.nowMillis()
        watchdog.cancel()
        beating.cancel()
        let drainDeadline = ContinuousClock.now + .seconds(2)
        while !(out.reachedEnd && err.reachedEnd), ContinuousClock.now < drainDeadline { try? await Task.sleep(for: .milliseconds(10)) }
        if !(out.reachedEnd && err.reachedEnd) {
            out.stopReading()
            err.stopReading()
        }
        while !(out.isFinished && err.isFinished) { try? await Task.sleep(for: .milliseconds(5)) }
        shipper.notify()
        deadline.withLock { $0 = .now + .seconds(30) }
        inputEnded.store(true, ordering: .relaxed)
        _ = await shipping.value
        // A stop signal while the command ran means the user cancelled it, however the command then ended.
        let cancelled = [SIGINT, SIGTERM, SIGHUP, SIGQUIT].contains(ChildProcess.lastForwardedSignal) && !timedOut.load(ordering: .relaxed)
        let result = timedOut.load(ordering: .relaxed) ? "TIMEDOUT" : cancelled ? "CANCELED" : exit.code == 0 ? "SUCCESS" : "FAILED"
        let message = timedOut.load(ordering: .relaxed) ? "Timed out after \(timeout) s; the command \(exit.description)" : "The command \(exit.description)"
        _ = try await client.call(.POST, base + "/finish", body: Self.json([
            JSONMember("result_state", .string(result)), JSONMember("exit_code", .number(String(exit.code))),
            JSONMember("state_message", .string(message)), JSONMember("execution_end_time", .number(String(ended))),
            JSONMember("cpu_user_ms", .number(String(exit.userMillis))), JSONMember("cpu_system_ms", .number(String(exit.systemMillis))),
            JSONMember("peak_rss_bytes", .number(String(exit.peakRSSBytes))),
        ]))
        return (result, exit.code)
    }

    static func json(_ members: [JSONMember]) -> [UInt8] { Array(JSONWriter.text(of: .object(members)).utf8) }

    func say(_ text: String) {
        FileHandle.standardError.write(Data("vigil job run: \(TerminalText.escape(text))\n".utf8))
    }
}
