import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization
import VigilAgent
import VigilCore
import VigilServer
import VigilTesting

/// App log figures (`VigilBenchmarks --app-logs`):
/// (i) log ingest over HTTP: lines/s of 100-byte messages in `vigil run`'s push format, 4 clients × 10,000-line pushes;
/// (j) live tail latency: 10 WebSocket followers, a line every 5 ms, from the push being sent to each follower
///     receiving it (p50, p99, max);
/// (k) `vigil run` around a command that prints 1,000,000 lines of 100 bytes, medians of 3: the command's own wall time
///     (it times itself) with its output to /dev/null, the same under `vigil run`, and `vigil run`'s whole time until
///     the last line is stored.
enum AppLogsBenchmark {
    static let messageBytes = 100

    static func run(lines: Int, runLines: Int) async throws {
        var configuration = VigilConfiguration()
        configuration.logLimits.linesPerSecond = 0
        configuration.logLimits.retentionMillis = 365 * 86_400_000
        try await LiveServer.run(configuration: configuration) { server in
            let created = try await server.request(.POST, "/api/2.0/apps", json: #"{"name":"bench"}"#)
            guard created.status == 200 else { throw VigilError(.internal, "create app: \(created.text)") }
            try await ingest(server, lines: lines)
            try await latency(server)
            try await runOverhead(server, lines: runLines)
        }
    }

    /// `count` lines as `vigil run` pushes them, each message `messageBytes` long.
    static func body(first: Int, count: Int, now: Int64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * (messageBytes + 100))
        let pad = String(repeating: "x", count: messageBytes - 32)
        for n in first..<(first + count) {
            let message = "GET /api/orders/\(String(format: "%08d", n)) 200 \(pad)".prefix(messageBytes)
            bytes += CapturedLine(timestampMillis: now, stream: .stdout, message: String(message)).ndjson()
            bytes.append(0x0A)
        }
        return bytes
    }

    static func ingest(_ server: LiveServer, lines: Int) async throws {
        let clients = 4
        let perPush = 10_000
        let pushes = max(1, lines / (clients * perPush))
        let now = SystemWallClock().nowMillis()
        // Bodies are built before the clock starts: the figure is the server's.
        let bodies = (0..<clients).map { client in (0..<pushes).map { body(first: (client * pushes + $0) * perPush, count: perPush, now: now) } }
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    for body in bodies[client] {
                        let reply = try await server.request(.POST, "/api/2.0/vigil/apps/bench/logs", body: body, contentType: "application/x-ndjson")
                        guard reply.status == 200 else { throw VigilError(.internal, "push answered \(reply.status): \(reply.text.prefix(200))") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - started).seconds
        let total = clients * pushes * perPush
        let bytes = bodies.joined().reduce(0) { $0 + $1.count }
        print(String(format: "(i) app log ingest, %d clients x %d-line pushes of %d-byte messages: %.0f lines/s (%d lines, %.1f MB of NDJSON, in %.2f s)",
                     clients, perPush, messageBytes, Double(total) / seconds, total, Double(bytes) / 1e6, seconds))
    }

    final class Samples: Sendable {
        let values = Mutex<[Double]>([])
        let ready = Atomic<Int>(0)
    }

    static func latency(_ server: LiveServer) async throws {
        let followers = 10
        let count = 400
        let base = ContinuousClock.now
        let samples = Samples()
        let headers: HTTPFields = [.authorization: "Bearer \(server.adminToken)"]
        let quiet: Logger = {
            var logger = Logger(label: "bench.ws")
            logger.logLevel = .critical
            return logger
        }()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<followers {
                group.addTask {
                    try await WebSocketClient.connect(
                        url: "ws://127.0.0.1:\(server.port)/apps/bench/logz/stream?tail_lines=0", configuration: .init(additionalHeaders: headers),
                        logger: quiet
                    ) { inbound, outbound, _ in
                        try await outbound.write(.text(""))
                        var received = 0
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message else { continue }
                            if text == "\u{0}" {
                                samples.ready.add(1, ordering: .relaxed)
                                continue
                            }
                            // The message carries the moment its push was sent, in nanoseconds since `base`.
                            guard let range = text.range(of: #"sent=(\d+)"#, options: .regularExpression),
                                  let sent = Int64(text[range].dropFirst(5)) else { continue }
                            let now = ContinuousClock.now - base
                            let millis = Double(now.components.seconds) * 1000 + Double(now.components.attoseconds) / 1e15 - Double(sent) / 1e6
                            samples.values.withLock { $0.append(millis) }
                            received += 1
                            if received == count {
                                try await outbound.close(.normalClosure, reason: nil)
                                return
                            }
                        }
                    }
                }
            }
            while samples.ready.load(ordering: .relaxed) < followers { try await Task.sleep(for: .milliseconds(10)) }
            for n in 0..<count {
                let elapsed = ContinuousClock.now - base
                let nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
                _ = try await server.request(.POST, "/api/2.0/vigil/apps/bench/logs", body: Array(#"{"message":"tick \#(n) sent=\#(nanos)"}"#.utf8),
                                             contentType: "application/x-ndjson")
                try await Task.sleep(for: .milliseconds(5))
            }
            try await group.waitForAll()
        }
        let values = samples.values.withLock { $0 }.sorted()
        func percentile(_ p: Double) -> Double { values[min(values.count - 1, Int(Double(values.count) * p))] }
        print(String(format: "(j) live tail, %d followers, %d lines (one every 5 ms): push sent → frame received p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)",
                     followers, count, percentile(0.5), percentile(0.99), values.last ?? 0, values.count))
    }

    static func runOverhead(_ server: LiveServer, lines: Int) async throws {
        let folder = try TemporaryDirectory(prefix: "vigil-bench-run")
        defer { folder.remove() }
        let pad = String(repeating: "x", count: messageBytes - 14)
        let program = "BEGIN { for (i = 0; i < \(lines); i++) printf \"line %07d %s\\n\", i, \"\(pad)\" }"
        // The command times itself (nanoseconds into a file), so both figures are the command's own wall time.
        func timed(_ redirect: String = "") -> String {
            "s=$(date +%s%N); awk '\(program)'\(redirect); e=$(date +%s%N); echo $((e - s)) > \(folder.file("took"))"
        }
        func took() throws -> Double {
            let text = try String(contentsOfFile: folder.file("took"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return Double(text).map { $0 / 1e9 } ?? .nan
        }
        let environment = ProcessInfo.processInfo.environment.merging(["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]) { $1 }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        // The command alone, its output to /dev/null.
        var alone: [Double] = []
        for _ in 0..<3 {
            let child = try SpawnedProcess(executable: "/bin/sh", arguments: ["-c", timed(" > /dev/null")], environment: environment,
                                           stdout: folder.file("out"), stderr: folder.file("err"))
            _ = await child.wait()
            alone.append(try took())
        }
        var under: [Double] = []
        var totals: [Double] = []
        var status: Int32 = 0
        for _ in 0..<3 {
            let started = ContinuousClock.now
            let run = try SpawnedProcess(
                executable: try CommandRunner.vigilBinary().path,
                arguments: ["run", "--app", "bench", "--spool-dir", folder.file("spool"), "--flush-timeout", "300", "--", "sh", "-c", timed()],
                environment: environment, stdout: folder.file("out"), stderr: folder.file("err"))
            status = max(status, await run.wait())
            totals.append((ContinuousClock.now - started).seconds)
            under.append(try took())
        }
        let stored = try await server.application.logDatabase.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM app_log_lines WHERE source = 'APP' AND message LIKE 'line %'")
        } ?? 0
        print(String(format: "(k) vigil run around a command printing %d lines of %d bytes, 3 runs (exit %d, %d lines stored of %d):",
                     lines, messageBytes, status, stored, 3 * lines))
        print(String(format: "    the command alone, output to /dev/null: %.3f s; under vigil run: %.3f s (%.2fx); vigil run until the last line is stored: %.2f s (%.0f lines/s) (medians)",
                     median(alone), median(under), median(under) / median(alone), median(totals), Double(lines) / median(totals)))
    }
}
