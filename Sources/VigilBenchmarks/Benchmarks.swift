import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
import VigilCore
import VigilServer
import VigilStore
import VigilTesting

/// Prints Vigil's performance figures. Run in release mode:
///
///     swift run -c release VigilBenchmarks [--events-per-client N] [--stored N] [--queries N]
///
/// (a) durable ingest over HTTP, 4 concurrent clients × 1,000-event batches;
/// (b) the same rows (event + Merkle leaf) through a plain SQLite loop (prepared statements, 1,000 events per
///     transaction, same schema, indexes and synchronous=FULL) and the ratio a/b;
/// (c) p50/p99 latency of GET /api/2.0/audit/events with a user + 24-hour filter over N stored events;
/// (d) peak resident memory of this process (server and clients share it);
/// (e) offline verify rate, (f) inclusion proof latency;
/// (g) Spark SQL: both seed queries and five aggregations over the same N stored events;
/// (h) reference queries Q20 over node_timeline rows and Q1 over information_schema;
/// (i)-(k) app logs: ingest rate, live tail latency, `vigil run` overhead (AppLogsBenchmark; alone with --app-logs);
/// (l)-(n) monitoring: agents' heartbeat ingest, the agent's own CPU and memory, a 30-day utilisation query over
///     4.3M node rows (ComputeBenchmark; alone with --compute);
/// (o)-(p) detections: ingest with and without the starter rules, ingest-to-alert latency under 10,000 events/s
///     (DetectionBenchmark; alone with --detections [--probes N]);
/// (q)-(s) delivery and forwarding: events/s to a local folder (and moto's S3) and through `vigil delivery verify`,
///     forwarding events/s to syslog over TCP and to a webhook, delivery lag at 10,000 events/s offered
///     (DeliveryBenchmark; alone with --delivery [--stored N] [--lag-seconds N] [--s3-endpoint URL]).
@main
enum Benchmarks {
    static func main() async throws {
        let options = BenchmarkOptions(CommandLine.arguments)
        print("Vigil benchmarks (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
        if let rules = options.detectionIngest {
            let run = try await DetectionBenchmark.ingest(rules: rules, batches: options.eventsPerClient / 1000)
            print(String(format: "(o) HTTP ingest %@ the starter pack: %.0f events/s (%d alerts)", rules ? "with" : "without", run.rate, run.alerts))
            return
        }
        if options.deliveryOnly {
            let stored = CommandLine.arguments.contains("--stored") ? options.stored : 200_000
            try await DeliveryBenchmark.run(stored: stored, lagSeconds: options.lagSeconds, s3Endpoint: options.s3Endpoint)
            return
        }
        if options.detectionsOnly {
            try await DetectionBenchmark.run(batchesPerClient: options.eventsPerClient / 1000, probes: options.probes)
            return
        }
        if options.computeOnly {
            try await ComputeBenchmark.run(reportsPerAgent: options.agentReports, agentSeconds: options.agentSeconds,
                                           utilisationDays: options.utilisationDays)
            return
        }
        if options.appLogsOnly {
            try await AppLogsBenchmark.run(lines: options.logLines, runLines: options.runLines)
            return
        }
        if options.sqlOnly {
            let (folder, end) = try await storedEvents(options.stored, folder: options.databaseFolder)
            print("(g) Spark SQL at \(options.stored) events (median of 5 runs after one warm-up; rows returned):")
            for line in try await SQLBenchmark.run(database: try VigilDatabase(path: folder + "/vigil.sqlite", readOnly: true), now: end) {
                print("    " + line)
            }
            try await systemTables(options, now: end)
            return
        }
        print(String(format: "    request-path CPU per event (parse, validate, hash; one core): %.2f µs", requestPathMicros()))
        let ingest = try await httpIngest(clients: 4, batches: options.eventsPerClient / 1000)
        let baseline = try plainSQLiteBaseline(events: 4 * options.eventsPerClient)
        print(String(format: "(a) HTTP ingest, 4 clients x 1000-event batches: %.0f events/s (%d events in %.2f s)",
                     ingest.rate, ingest.events, ingest.seconds))
        print(String(format: "(b) plain SQLite loop, 1000 rows/txn:            %.0f events/s; a/b = %.2f", baseline, ingest.rate / baseline))
        let query = try await queryLatency(stored: options.stored, queries: options.queries)
        print(String(format: "(c) GET user + 24 h filter at %d events: p50 %.2f ms, p99 %.2f ms (%d queries, %.1f rows/page avg)",
                     options.stored, query.p50, query.p99, options.queries, query.rowsPerPage))
        print(String(format: "(d) peak RSS of the benchmark process: %.0f MB", Double(peakRSSKilobytes()) / 1024))
        print(String(format: "(e) vigil verify (offline) at %d events: %.0f leaves/s (%.2f s)", options.stored, query.verifyRate, query.verifySeconds))
        print(String(format: "(f) inclusion proof over HTTP at %d events: first %.1f ms, then p50 %.2f ms (50 random leaves)",
                     options.stored, query.firstProof, query.proofP50))
        // (g) last: the SQL connections map the database file, and mapped file pages count in RSS (d) would report.
        let (path, end) = try await storedEvents(options.stored, folder: query.folder)
        defer { TemporaryDirectory(existing: path).remove() }
        print("(g) Spark SQL at \(options.stored) events (median of 5 runs after one warm-up; rows returned):")
        for line in try await SQLBenchmark.run(database: try VigilDatabase(path: path + "/vigil.sqlite", readOnly: true), now: end) {
            print("    " + line)
        }
        print(String(format: "    peak RSS after (g), mapped database pages included: %.0f MB", Double(peakRSSKilobytes()) / 1024))
        try await systemTables(options, now: end)
        try await AppLogsBenchmark.run(lines: options.logLines, runLines: options.runLines)
    }

    static func systemTables(_ options: BenchmarkOptions, now: Int64) async throws {
        let (rate, lines) = try await SystemTablesBenchmark.run(nodeRows: options.nodeRows, grants: options.grants, now: now)
        print(String(format: "(h) other system tables: %d node_timeline rows (stored at %.0f rows/s), %d grants; median of 5:",
                     options.nodeRows, rate, options.grants))
        for line in lines { print("    " + line) }
    }

    static func body(batch: Int, client: Int, end: Int64) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 600_000)
        writer.beginArray()
        for i in 0..<1000 {
            if i > 0 { writer.comma() }
            let n = (client * 10_000_000) + batch * 1000 + i
            EventFixtures.write(n, into: &writer, endMillis: end, spacingMillis: 1, eventID: RandomID.hex())
        }
        writer.endArray()
        return writer.bytes
    }

    static func httpIngest(clients: Int, batches: Int) async throws -> (rate: Double, events: Int, seconds: Double) {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            // Each client builds a body just before sending it (about 2 ms per 1,000 events in release), so the
            // process never holds more than one body per client and the RSS figure stays the server's.
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<clients {
                    group.addTask {
                        for batch in 0..<batches {
                            let body = body(batch: batch, client: client, end: end)
                            let reply = try await server.request(.POST, "/api/2.0/audit/events", body: body)
                            guard reply.status == 200 else { throw VigilError(.internal, "ingest answered \(reply.status): \(reply.text.prefix(200))") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let seconds = (ContinuousClock.now - started).seconds
            let events = clients * batches * 1000
            // How the sequencer grouped the work: transactions, events per transaction, time spent committing.
            let metrics = try await server.request(.GET, "/metrics").text
            func value(_ name: String) -> Double {
                metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            }
            let commits = value("vigil_sequencer_batch_events_count")
            print(String(format: "    sequencer: %.0f transactions, %.0f events each on average, %.1f s of %.1f s spent writing",
                         commits, value("vigil_sequencer_batch_events_sum") / max(commits, 1),
                         value("vigil_sequencer_commit_duration_seconds_sum"), seconds))
            return (Double(events) / seconds, events, seconds)
        }
    }

    /// What the server spends per event before the sequencer: splitting the body, validating, and computing
    /// the canonical bytes and leaf hash.
    static func requestPathMicros() -> Double {
        let batches = (0..<20).map { body(batch: $0, client: 99, end: SystemWallClock().nowMillis()) }
        let decoder = EventDecoder()
        let now = SystemWallClock().nowMillis()
        let started = ContinuousClock.now
        var prepared = 0
        for batch in batches {
            var problems: [ValidationProblem] = []
            for (index, item) in IngestBody.split(batch, format: .json, problems: &problems).enumerated() {
                if let value = item.value, let event = decoder.decode(value, index: index, nowMillis: now, problems: &problems) {
                    prepared += PreparedEvent(event, receivedMillis: now).leafHash.count > 0 ? 1 : 0
                }
            }
        }
        return (ContinuousClock.now - started).seconds * 1e6 / Double(max(prepared, 1))
    }

    static func plainSQLiteBaseline(events: Int) throws -> Double {
        let folder = try TemporaryDirectory(prefix: "vigil-bench")
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let end = SystemWallClock().nowMillis()
        let rows = (0..<events).map { n in
            PreparedEvent(EventFixtures.event(n, endMillis: end, spacingMillis: 1, eventID: RandomID.hex()), receivedMillis: end)
        }
        let started = ContinuousClock.now
        var seq: Int64 = 0
        for chunk in stride(from: 0, to: events, by: 1000) {
            try database.pool.write { db in
                // The same rows Vigil writes per event: the event and its Merkle leaf.
                let statement = try db.cachedStatement(sql: EventRow.insertSQL)
                let leaf = try db.cachedStatement(sql: "INSERT INTO ledger_leaves(seq, leaf_hash) VALUES (?, ?)")
                for row in rows[chunk..<min(chunk + 1000, events)] {
                    try statement.execute(arguments: EventRow.arguments(row, seq: seq))
                    try leaf.execute(arguments: [seq, Data(row.leafHash)])
                    seq += 1
                }
            }
        }
        return Double(events) / (ContinuousClock.now - started).seconds
    }

    static func queryLatency(stored: Int, queries: Int) async throws
        -> (p50: Double, p99: Double, rowsPerPage: Double, verifyRate: Double, verifySeconds: Double, firstProof: Double, proofP50: Double,
            folder: String)
    {
        // The store is kept for (g); main removes it.
        let (path, end) = try await storedEvents(stored, folder: nil)
        let folder = TemporaryDirectory(existing: path)
        // (e) The offline verifier over the same file: rehash every event, rebuild the tree.
        let verifyStarted = ContinuousClock.now
        let report = try await LedgerVerifier(database: try VigilDatabase(path: folder.file("vigil.sqlite"), readOnly: true), keys: []).verify()
        let verifySeconds = (ContinuousClock.now - verifyStarted).seconds
        guard report.invalidLeafCount == 0 else { throw VigilError(.internal, "verify found problems in a clean log") }
        return try await LiveServer.run(dataDirectory: folder.path) { server in
            var latencies: [Double] = []
            var rows = 0
            let start = Timestamp.formatRFC3339(millis: end - 86_400_000)
            for q in 0..<queries {
                let path = "/api/2.0/audit/events?user=user\(q * 7 % 1000)@example.com&start_time=\(start)"
                let started = ContinuousClock.now
                let reply = try await server.request(.GET, path)
                latencies.append((ContinuousClock.now - started).seconds * 1000)
                guard reply.status == 200, case .array(let events)? = try reply.json()["events"] else {
                    throw VigilError(.internal, "query answered \(reply.status)")
                }
                rows += events.count
            }
            latencies.sort()
            // (f) Proofs against the current tree: the first fills the subtree cache, later ones reuse it.
            var proofs: [Double] = []
            for n in 0..<51 {
                let started = ContinuousClock.now
                let reply = try await server.request(.GET, "/api/2.0/vigil/ledger/proof/inclusion?seq=\((n * 7919) % stored)&tree_size=\(stored)")
                guard reply.status == 200 else { throw VigilError(.internal, "proof answered \(reply.status): \(reply.text)") }
                proofs.append((ContinuousClock.now - started).seconds * 1000)
            }
            let firstProof = proofs.removeFirst()
            proofs.sort()
            return (latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
                    Double(rows) / Double(queries), Double(stored) / verifySeconds, verifySeconds, firstProof, proofs[proofs.count / 2], folder.path)
        }
    }

    /// A store holding `count` fixture events ending now: 1 per second of event time, 1,000 users, and a
    /// realistic share of app administration (about 1 event in 1,000 is an ACL change, 1 in 1,000 an app
    /// creation; the fixture's other app actions become reads). Reused when `folder` already holds it.
    /// Offers `eventsPerSecond` in 1,000-event batches, at most 4 requests in flight, while `going()`; returns the
    /// events the server stored.
    static func offer(eventsPerSecond: Int, to server: LiveServer, end: Int64, while going: @escaping @Sendable () -> Bool) async -> Int {
        let began = ContinuousClock.now
        return await withTaskGroup(of: Int.self) { group -> Int in
            var batch = 0
            var inFlight = 0
            var stored = 0
            while going() {
                let due = began + .milliseconds(Int64(batch) * 1_000_000 / Int64(eventsPerSecond))
                if ContinuousClock.now < due { try? await Task.sleep(until: due) }
                if inFlight == 4, let done = await group.next() {
                    stored += done
                    inFlight -= 1
                }
                let number = batch
                group.addTask {
                    let reply = try? await server.request(.POST, "/api/2.0/audit/events", body: Benchmarks.body(batch: number, client: 0, end: end))
                    return reply?.status == 200 ? 1000 : 0
                }
                inFlight += 1
                batch += 1
            }
            for await done in group { stored += done }
            return stored
        }
    }

    static func storedEvents(_ count: Int, folder: String?) async throws -> (path: String, end: Int64) {
        let path = try folder ?? TemporaryDirectory(prefix: "vigil-bench").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let database = try VigilDatabase.open(dataDirectory: path)
        let existing = try database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT count(*) AS n, max(event_time) AS end FROM audit_events")
        }
        if let existing, (existing["n"] as Int) >= count, let end: Int64 = existing["end"] {
            print("    reusing \(existing["n"] as Int) stored events in \(path)")
            return (path, end)
        }
        let end = SystemWallClock().nowMillis()
        print("    loading \(count) events (1 per second of event time, 1000 users)...")
        var n = 0
        while n < count {
            let chunk = (n..<min(n + 20_000, count)).map { index in
                var event = EventFixtures.event(index, endMillis: end, spacingMillis: 1000, userCount: 1000)
                if ["changeAppsAcl", "createApp"].contains(event.actionName), index % 1000 >= 8 {
                    event.actionName = event.actionName == "createApp" ? "getApp" : "listAppPermissions"
                }
                return PreparedEvent(event, receivedMillis: end)
            }
            _ = try await database.pool.write { db in try Sequencer.write([chunk], in: db) }
            n += chunk.count
        }
        return (path, end)
    }

    static func peakRSSKilobytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
