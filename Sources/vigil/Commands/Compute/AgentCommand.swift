import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import VigilAgent
import VigilCore

#if canImport(Glibc)
import Glibc
#endif

/// `vigil agent`: samples this host every interval and reports it to Vigil as one heartbeat carrying the
/// interval's `system.compute.node_timeline` row. The cluster follows its agents: the driver's first report makes it
/// RUNNING, workers joining and leaving resize it, an agent that stops reporting is a lost node.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Report this host's CPU, memory, network and disk use and its liveness to a cluster.",
        discussion: """
            Every --interval seconds the agent sends one report: CPU user, system and iowait % (from /proc/stat), \
            memory used % ((MemTotal - MemAvailable) / MemTotal, or against memory.max inside a cgroup v2 container \
            with a limit), swap %, network bytes sent and received (all interfaces but lo) and free bytes of each real \
            mount point. A cluster that does not exist is registered (you need CAN_USE on audit-logs/all or admin). \
            While the server cannot be reached, rows are kept (in --spool-file too when given) and sent when it can. \
            SIGTERM or SIGINT send a last report saying this node leaves, so it is not counted as lost.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .customLong("cluster-id"), help: "The cluster this host belongs to (registered if it does not exist).") var clusterID: String
    @Flag(help: "This host is the cluster's driver (its first report makes the cluster RUNNING).") var driver = false
    @Option(help: "Seconds between reports (1 to 3600); a node is lost after three missed reports.") var interval: Double = 60
    @Flag(help: "Send one report (sampled over one second) and exit; run it from cron every --interval seconds instead of a long-lived agent.") var once = false
    @Option(name: .customLong("instance-id"), help: "This node's id in the cluster (default: the host name).") var instanceID: String?
    @Option(name: .customLong("cluster-name"), help: "The name of a cluster the agent registers (default: its id).") var clusterName: String?
    @Option(help: "The number of workers of a cluster the agent registers.") var workers: Int?
    @Option(name: .customLong("node-type"), help: "This node's type, as node_type_id and node_timeline.node_type.") var nodeType: String?
    @Option(name: .customLong("spool-file"), help: "Keep unsent rows in this file too, so a restarted agent still sends them.")
    var spoolFile: String?

    func validate() throws {
        if let problem = ClusterID.problem(clusterID) { throw ValidationError("--cluster-id: \(problem)") }
        guard (1...3600).contains(interval) else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
        if let workers, !(0...100_000).contains(workers) { throw ValidationError("--workers must be between 0 and 100000") }
    }

    func run() async throws {
        let client = try VigilClient(connection)
        let host = ProcessInfo.processInfo.hostName
        let instance = instanceID ?? host
        let sampler = HostSampler(clusterID: clusterID, instanceID: instance, driver: driver, nodeType: nodeType)
        var spool = RowSpool(path: spoolFile)
        let stop = AgentStop()
        stop.install()
        let clock = SystemWallClock()
        _ = sampler.sample(at: clock.nowMillis())
        var reporter = AgentReporter(
            client: client, clusterID: clusterID, instanceID: instance, driver: driver, intervalSeconds: interval, nodeType: nodeType, host: host,
            clusterName: clusterName, workers: workers)
        // A first report at once: the cluster is registered and its state follows this node from the start.
        if !once { try await reporter.report(&spool, leaving: false) }
        let period = once ? 1.0 : interval
        var next = Date().addingTimeInterval(period)
        while true {
            let stopped = await stop.wait(until: next)
            if !stopped, let row = sampler.sample(at: clock.nowMillis()) { spool.append(row.json) }
            try await reporter.report(&spool, leaving: stopped)
            if stopped || once { break }
            next = next.addingTimeInterval(period)
            if next < Date() { next = Date().addingTimeInterval(period) }
        }
        if !spool.rows.isEmpty {
            FileHandle.standardError.write(Data("vigil agent: \(spool.rows.count) rows were not sent\(spoolFile.map { "; they are in \($0)" } ?? "")\n".utf8))
        }
    }
}

/// Sends reports and says on standard error what changed (the cluster's state, the server going away and back).
struct AgentReporter {
    let client: VigilClient
    let clusterID: String
    let instanceID: String
    let driver: Bool
    let intervalSeconds: Double
    let nodeType: String?
    let host: String
    let clusterName: String?
    let workers: Int?
    var lastState: String?
    var unreachableSince: Date?

    /// Rows per report: a long outage's spool goes out over several reports.
    static let rowsPerReport = 1_000

    init(client: VigilClient, clusterID: String, instanceID: String, driver: Bool, intervalSeconds: Double, nodeType: String?, host: String,
         clusterName: String?, workers: Int?) {
        self.client = client
        self.clusterID = clusterID
        self.instanceID = instanceID
        self.driver = driver
        self.intervalSeconds = intervalSeconds
        self.nodeType = nodeType
        self.host = host
        self.clusterName = clusterName
        self.workers = workers
    }

    mutating func report(_ spool: inout RowSpool, leaving: Bool) async throws {
        let rows = Array(spool.rows.prefix(Self.rowsPerReport))
        var members = [
            JSONMember("cluster_id", .string(clusterID)), JSONMember("instance_id", .string(instanceID)), JSONMember("driver", .bool(driver)),
            JSONMember("interval_seconds", .number(String(intervalSeconds))), JSONMember("host", .string(host)),
            JSONMember("node_timeline", .array(rows)),
        ]
        if leaving { members.append(JSONMember("leaving", .bool(true))) }
        if let nodeType { members.append(JSONMember("node_type", .string(nodeType))) }
        if let clusterName { members.append(JSONMember("cluster_name", .string(clusterName))) }
        if let workers { members.append(JSONMember("num_workers", .number(String(workers)))) }
        let reply: VigilClient.Reply
        do {
            reply = try await client.send(.POST, "/api/2.0/vigil/compute/heartbeat", body: Array(JSONWriter.text(of: .object(members)).utf8))
        } catch let failure as CLIFailure {
            if unreachableSince == nil {
                unreachableSince = Date()
                say("\(failure.message); keeping rows until it answers (\(spool.rows.count) waiting)")
            }
            return
        }
        if reply.status == 429 || reply.status >= 500 {
            if unreachableSince == nil {
                unreachableSince = Date()
                say("the server answered HTTP \(reply.status); keeping rows until it takes them (\(spool.rows.count) waiting)")
            }
            return
        }
        if reply.status == 400, !rows.isEmpty {
            // Rows the server refuses (a clock far ahead, a counter gone wrong) would be refused again at every report:
            // they are dropped, said, and the agent carries on.
            spool.removeFirst(rows.count)
            say("the server refused \(rows.count) rows, which are dropped: \(VigilClient.failure(for: reply).message)")
            return
        }
        guard (200..<300).contains(reply.status) else { throw VigilClient.failure(for: reply) }
        if let since = unreachableSince {
            say("the server answers again after \(Int(Date().timeIntervalSince(since))) s; sending \(spool.rows.count) waiting rows")
            unreachableSince = nil
        }
        spool.removeFirst(rows.count)
        let answer = try reply.json()
        if case .bool(true)? = answer["registered"] { say("registered cluster \(clusterID)") }
        if case .string(let state)? = answer["state"], state != lastState {
            say("cluster \(clusterID) is \(state)" + (instanceID.isEmpty ? "" : " (this node: \(instanceID)\(driver ? ", driver" : ""))"))
            lastState = state
        }
    }

    func say(_ text: String) {
        FileHandle.standardError.write(Data("vigil agent: \(TerminalText.escape(text))\n".utf8))
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
    func wait(until deadline: Date) async -> Bool {
        while Date() < deadline {
            if stopped.load(ordering: .relaxed) { return true }
            let left = deadline.timeIntervalSinceNow
            try? await Task.sleep(for: .milliseconds(Int(min(0.25, max(0.001, left)) * 1000)))
        }
        return stopped.load(ordering: .relaxed)
    }
}
