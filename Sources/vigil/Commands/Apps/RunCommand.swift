import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import VigilAgent
import VigilCore

/// `vigil run --app NAME -- CMD ARGS…`: runs an app under Vigil, as Databricks Apps runs one: its standard output
/// and error become the app's log lines, shipped within a second, without ever making the app wait.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command and ship its output, line by line, to an app's logs.",
        discussion: """
            Standard input is passed through; standard output and error are captured line by line with the time each \
            was read and shipped in batches within a second (they are not echoed unless --tee). The command never waits \
            for Vigil: lines wait in memory, then in --spool-dir while the server is unreachable, and are sent in order \
            when it answers (a batch resent after a lost answer is stored once). Past --spool-bytes, new lines are \
            dropped, counted and reported at exit. SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on \
            to the command. The exit status is the command's, or 128 + the signal that killed it.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "The app whose logs the lines become (it must exist: vigil apps create NAME).") var app: String
    @Option(name: .customLong("spool-dir"), help: "Where lines wait while the server is unreachable (default ~/.local/state/vigil/spool; one folder per app).")
    var spoolDirectory: String?
    @Option(name: .customLong("spool-bytes"), help: "Most bytes the spool may hold; past it new lines are dropped.") var spoolBytes = 256 << 20
    @Option(name: .customLong("memory-lines"), help: "Lines held in memory before they go to the spool.") var memoryLines = 100_000
    @Option(name: .customLong("flush-timeout"), help: "Seconds to keep sending after the command ends before leaving the rest in the spool.")
    var flushTimeout = 10
    @Option(name: .customLong("max-line-bytes"), help: "A longer line is cut there and marked.") var maxLineBytes = 64 << 10
    @Flag(help: "Also copy the command's output to this process's standard output and error (they may then block on a slow terminal).")
    var tee = false
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, after --.") var command: [String] = []

    func validate() throws {
        if let problem = AppName.problem(app) { throw ValidationError("--app: \(problem)") }
        guard !command.drop(while: { $0 == "--" }).isEmpty else { throw ValidationError("give the command to run after --, e.g. vigil run --app shop -- python app.py") }
        guard spoolBytes >= 0, memoryLines > 0, flushTimeout >= 0, maxLineBytes >= 1024 else {
            throw ValidationError("--spool-bytes ≥ 0, --memory-lines > 0, --flush-timeout ≥ 0 and --max-line-bytes ≥ 1024")
        }
    }

    func run() async throws {
        var command = command
        if command.first == "--" { command.removeFirst() }
        let (baseURL, token) = try connection.resolve()
        let client = try VigilClient.httpClient(trusting: connection.caCertificate)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "."
        let root = spoolDirectory ?? ProcessInfo.processInfo.environment["VIGIL_SPOOL_DIR"]
            ?? (ProcessInfo.processInfo.environment["XDG_STATE_HOME"] ?? home + "/.local/state") + "/vigil/spool"
        let folder = (root as NSString).appendingPathComponent(app)
        let queue: ShipQueue
        do {
            queue = try ShipQueue(
                spoolDirectory: spoolBytes > 0 ? folder : nil,
                limits: .init(maxMemoryLines: memoryLines, maxSpoolBytes: spoolBytes))
        } catch {
            throw CLIFailure("cannot use the spool folder \(folder): \(error.localizedDescription)")
        }
        let clock = SystemWallClock()
        let shown = command.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        // The first line is shipped before the command starts: it proves the app exists and the token may ship to it.
        let starting = CapturedLine(timestampMillis: clock.nowMillis(), stream: .stdout, source: .system, message: "vigil run: starting \(shown)")
        if try await !Self.preflight(starting, app: app, client: client, baseURL: baseURL, token: token) { queue.append([starting]) }
        let reported = Mutex<Set<String>>([])
        let shipper = LogShipper(
            client: client, baseURL: baseURL, token: Secret(token), app: app, queue: queue,
            report: { trouble in
                let text: String =
                    switch trouble {
                    case .unreachable(let detail): "cannot reach \(baseURL) (\(detail)); lines are kept and sent when it answers"
                    case .refused(let status, let message): "the server refused the lines (HTTP \(status): \(message)); they are kept and retried"
                    }
                if reported.withLock({ $0.insert(text).inserted }) { Self.warn(text) }
            })
        let child: ChildProcess
        do {
            child = try ChildProcess(command: command)
        } catch {
            throw CLIFailure("\(error)", exitCode: 127)
        }
        child.forwardSignals()
        queue.append([CapturedLine(timestampMillis: clock.nowMillis(), stream: .stdout, source: .system,
                                   message: "vigil run: started \(shown) (pid \(child.pid))")])
        let inputEnded = Atomic<Bool>(false)
        let deadline = Mutex<ContinuousClock.Instant?>(nil)
        let shipping = Task {
            await shipper.run(inputEnded: { inputEnded.load(ordering: .relaxed) }, deadline: {
                // A signal after the command ended means: stop waiting for the server (what is left goes to the spool).
                ChildProcess.interruptedAfterExit ? .now : deadline.withLock { $0 }
            })
        }
        let out = PipeReader.start(child.stdout, stream: .stdout, maxLineBytes: maxLineBytes, queue: queue, tee: tee ? 1 : nil, clock: clock,
                                   notify: { shipper.notify() })
        let err = PipeReader.start(child.stderr, stream: .stderr, maxLineBytes: maxLineBytes, queue: queue, tee: tee ? 2 : nil, clock: clock,
                                   notify: { shipper.notify() })
        let (code, ending) = await child.waitForExit()
        // The outputs end when the command and everything that inherited them close them: a background process the
        // command left behind may keep them open, so this waits at most the flush timeout (at least a second, so
        // what the command wrote just before it ended is still read with --flush-timeout 0).
        let drainDeadline = ContinuousClock.now + .seconds(max(flushTimeout, 1))
        while !(out.reachedEnd && err.reachedEnd), ContinuousClock.now < drainDeadline, !ChildProcess.interruptedAfterExit {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let stillOpen = !(out.reachedEnd && err.reachedEnd)
        if stillOpen {
            // Nothing read from now on is kept, so every line the queue gets comes before the last ones below.
            out.stopReading()
            err.stopReading()
        }
        // What was read is cut into lines before the last line goes in: work on memory, never waiting on the command.
        while !(out.isFinished && err.isFinished) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        var last = [CapturedLine(timestampMillis: clock.nowMillis(), stream: .stdout, source: .system, message: "vigil run: \(shown) \(ending)")]
        if stillOpen {
            let why = ChildProcess.interruptedAfterExit ? "vigil run was interrupted while it" : "a process it started keeps it open; vigil run"
            last.append(CapturedLine(timestampMillis: clock.nowMillis(), stream: .stderr, source: .system,
                                     message: "vigil run: the command's output is still open (\(why) stopped reading); later lines are not shipped"))
        }
        let droppedSoFar = queue.droppedLines
        if droppedSoFar > 0 {
            last.append(CapturedLine(timestampMillis: clock.nowMillis(), stream: .stderr, source: .system,
                                     message: "vigil run: \(droppedSoFar) lines were dropped: the server was unreachable and the spool full"))
        }
        queue.append(last)
        shipper.notify()
        deadline.withLock { $0 = .now + .seconds(flushTimeout) }
        inputEnded.store(true, ordering: .relaxed)
        let outcome = await shipping.value
        let left = queue.isEmpty ? 0 : queue.spillAll()
        queue.dropMemory()  // what the spool had no room for
        let dropped = queue.droppedLines
        if dropped > 0 || left > 0 || outcome.refusedLines > 0 {
            var parts: [String] = []
            if dropped > 0 { parts.append("\(dropped) lines were dropped (memory and spool full)") }
            if outcome.refusedLines > 0 { parts.append("\(outcome.refusedLines) lines were refused by the server") }
            if left > 0 { parts.append("\(left) lines wait in \(folder) for the next vigil run --app \(app)") }
            Self.warn(parts.joined(separator: "; "))
        }
        throw ExitCode(code)
    }

    /// Ships the first line before the command starts. Fails fast on a mistake (an unknown app, a refused token, no
    /// permission to ship to it); an unreachable or busy server is only a warning (false: the line waits with the
    /// others).
    static func preflight(_ line: CapturedLine, app: String, client: HTTPClient, baseURL: String, token: String) async throws -> Bool {
        var request = HTTPClientRequest(url: baseURL + "/api/2.0/vigil/apps/\(app)/logs")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Content-Type", value: "application/x-ndjson")
        request.headers.add(name: "Idempotency-Key", value: "start-" + RandomID.hex(byteCount: 8))
        request.body = .bytes(ByteBuffer(bytes: line.ndjson()))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            switch response.status.code {
            case 200: return true
            case 404: throw CLIFailure("app \(app) does not exist; create it with: vigil apps create \(app)", exitCode: 2)
            case 401: throw CLIFailure("the token was refused (401): \(LogShipper.message(String(buffer: body)))", exitCode: 2)
            case 403: throw CLIFailure("you may not ship app \(app)'s logs (403): it needs CAN_USE on the app or the ingest permission", exitCode: 2)
            default:
                warn("the server answered \(response.status.code) (\(LogShipper.message(String(buffer: body)))); running anyway, lines are kept until it takes them")
                return false
            }
        } catch let failure as CLIFailure {
            throw failure
        } catch {
            warn("cannot reach \(baseURL) (\(ConnectionFailure.describe(error, baseURL: baseURL))); running anyway, lines are kept until it answers")
            return false
        }
    }

    static func warn(_ text: String) {
        FileHandle.standardError.write(Data("vigil run: \(text)\n".utf8))
    }
}
