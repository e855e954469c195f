import AsyncHTTPClient
import Dispatch
import NIOCore
import NIOHTTP1
import Synchronization
import VigilCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The agent's loop, run by `vigil-agent` (and by `vigil agent` when that program is not beside it): every interval
/// one heartbeat carrying the interval's `system.compute.node_timeline` row, rows kept while the server is away.
public enum NodeAgent {
    /// Runs until SIGTERM or SIGINT (then sends a last report saying this node leaves), or after one report with
    /// `--once`. Fails only on an answer that retrying cannot fix (401, 403, a refused registration).
    public static func run(_ options: AgentOptions, connection: AgentConnection, afterStart: () -> Void = {}) async throws(AgentFailure) {
        let host = ProcessInfo.processInfo.hostName
        let instance = options.instanceID ?? host
        let sampler = HostSampler(clusterID: options.clusterID, instanceID: instance, driver: options.driver, nodeType: options.nodeType)
        var spool = RowSpool(path: options.spoolFile)
        let stop = AgentStop()
        stop.install()
        let clock = SystemWallClock()
        _ = sampler.sample(at: clock.nowMillis())
        var reporter = AgentReporter(connection: connection, options: options, instanceID: instance, host: host)
        // A first report at once: the cluster is registered and its state follows this node from the start.
        if !options.once { try await reporter.report(&spool, leaving: false) }
        afterStart()
        let period = Duration.milliseconds(Int64(((options.once ? 1.0 : options.interval) * 1000).rounded()))
        var next = ContinuousClock.now + period
        while true {
            let stopped = await stop.wait(until: next)
            if !stopped, let row = sampler.sample(at: clock.nowMillis()) { spool.append(row.json) }
            try await reporter.report(&spool, leaving: stopped)
            if stopped || options.once { break }
            next += period
            if next < .now { next = .now + period }
        }
        if !spool.rows.isEmpty {
            AgentReporter.say("\(spool.rows.count) rows were not sent\(options.spoolFile.map { "; they are in \($0)" } ?? "")")
        }
    }
}

/// A failure to report on standard error before exiting with `exitCode`.
public struct AgentFailure: Error {
    public let message: String
    public let exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
}

/// Where the agent reports: the server's base URL, its token and the HTTP client (trusting a CA file when given).
public struct AgentConnection: Sendable {
    public let baseURL: String
    let token: Secret
    let http: HTTPClient

    public init(baseURL: String, token: String, caCertificate: String?) throws(AgentFailure) {
        self.baseURL = baseURL
        self.token = Secret(token)
        do { http = try ClientHTTP.shared(trusting: caCertificate) } catch { throw AgentFailure(error.message) }
    }

    public struct Reply: Sendable {
        public let status: Int
        public let body: [UInt8]
    }

    /// POSTs a JSON body; a request that does not reach the server fails with one readable line.
    func post(_ path: String, body: [UInt8]) async throws(AgentFailure) -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token.revealedValue)")
        request.headers.add(name: "User-Agent", value: "vigil-agent/0.1")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: .seconds(60))
            let buffer = try await response.body.collect(upTo: 16 << 20)
            return Reply(status: Int(response.status.code), body: Array(buffer.readableBytesView))
        } catch {
            throw AgentFailure(ConnectionFailure.describe(error, baseURL: baseURL))
        }
    }
}

/// Sends reports and says on standard error what changed (the cluster's state, the server going away and back).
struct AgentReporter {
    let connection: AgentConnection
    let options: AgentOptions
    let instanceID: String
    let host: String
    var lastState: String?
    var unreachableSince: ContinuousClock.Instant?

    /// Rows per report: a long outage's spool goes out over several reports.
    static let rowsPerReport = 1_000

    init(connection: AgentConnection, options: AgentOptions, instanceID: String, host: String) {
        self.connection = connection
        self.options = options
        self.instanceID = instanceID
        self.host = host
    }

    mutating func report(_ spool: inout RowSpool, leaving: Bool) async throws(AgentFailure) {
        let rows = Array(spool.rows.prefix(Self.rowsPerReport))
        var members = [
            JSONMember("cluster_id", .string(options.clusterID)), JSONMember("instance_id", .string(instanceID)),
            JSONMember("driver", .bool(options.driver)), JSONMember("interval_seconds", .number(String(options.interval))),
            JSONMember("host", .string(host)), JSONMember("node_timeline", .array(rows)),
        ]
        if leaving { members.append(JSONMember("leaving", .bool(true))) }
        if let nodeType = options.nodeType { members.append(JSONMember("node_type", .string(nodeType))) }
        if let clusterName = options.clusterName { members.append(JSONMember("cluster_name", .string(clusterName))) }
        if let workers = options.workers { members.append(JSONMember("num_workers", .number(String(workers)))) }
        let reply: AgentConnection.Reply
        do {
            reply = try await connection.post("/api/2.0/vigil/compute/heartbeat", body: Array(JSONWriter.text(of: .object(members)).utf8))
        } catch {
            if unreachableSince == nil {
                unreachableSince = .now
                Self.say("\(error.message); keeping rows until it answers (\(spool.rows.count) waiting)")
            }
            return
        }
        if reply.status == 429 || reply.status >= 500 {
            if unreachableSince == nil {
                unreachableSince = .now
                Self.say("the server answered HTTP \(reply.status); keeping rows until it takes them (\(spool.rows.count) waiting)")
            }
            return
        }
        if reply.status == 400, !rows.isEmpty {
            // Rows the server refuses (a clock far ahead, a counter gone wrong) would be refused again at every report:
            // they are dropped, said, and the agent carries on.
            spool.removeFirst(rows.count)
            Self.say("the server refused \(rows.count) rows, which are dropped: \(ConnectionFailure.refusal(status: reply.status, body: reply.body))")
            return
        }
        guard (200..<300).contains(reply.status) else { throw AgentFailure(ConnectionFailure.refusal(status: reply.status, body: reply.body)) }
        if let since = unreachableSince {
            Self.say("the server answers again after \((ContinuousClock.now - since).components.seconds) s; sending \(spool.rows.count) waiting rows")
            unreachableSince = nil
        }
        spool.removeFirst(rows.count)
        guard let answer = try? JSONParser.parse(reply.body) else {
            throw AgentFailure("the server answered something that is not JSON (HTTP \(reply.status))")
        }
        if case .bool(true)? = answer["registered"] { Self.say("registered cluster \(options.clusterID)") }
        if case .string(let state)? = answer["state"], state != lastState {
            Self.say("cluster \(options.clusterID) is \(state)" + (instanceID.isEmpty ? "" : " (this node: \(instanceID)\(options.driver ? ", driver" : ""))"))
            lastState = state
        }
    }

    static func say(_ text: String) {
        StandardError.write("vigil agent: \(TerminalText.escape(text))\n")
    }
}

/// SIGTERM and SIGINT end the agent's wait at once (it then sends its last report).
final class AgentStop: Sendable {
    private let stopped = Atomic<Bool>(false)
    /// The signal sources live as long as the process (an agent installs them once).
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    func install() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in stopped.store(true, ordering: .relaxed) }
            source.resume()
            Self.sources.append(source)
        }
    }

    /// Waits until `deadline` or a stop signal; answers whether the agent is to stop.
    func wait(until deadline: ContinuousClock.Instant) async -> Bool {
        while ContinuousClock.now < deadline {
            if stopped.load(ordering: .relaxed) { return true }
            try? await Task.sleep(for: min(.milliseconds(250), max(.milliseconds(1), deadline - .now)))
        }
        return stopped.load(ordering: .relaxed)
    }
}
