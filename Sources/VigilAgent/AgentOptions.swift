import ArgumentParser
import VigilCore

/// What `vigil agent` and `vigil-agent` take besides the connection: one definition, so the two cannot drift,
/// and `arguments` writes them back for `vigil agent` to hand to `vigil-agent`.
public struct AgentOptions: ParsableArguments, Equatable {
    @Option(name: .customLong("cluster-id"), help: "The cluster this host belongs to (registered if it does not exist).")
    public var clusterID: String
    @Flag(help: "This host is the cluster's driver (its first report makes the cluster RUNNING).") public var driver = false
    @Option(help: "Seconds between reports (1 to 3600); a node is lost after three missed reports.") public var interval: Double = 60
    @Flag(help: "Send one report (sampled over one second) and exit; run it from cron every --interval seconds instead of a long-lived agent.")
    public var once = false
    @Option(name: .customLong("instance-id"), help: "This node's id in the cluster (default: the host name).") public var instanceID: String?
    @Option(name: .customLong("cluster-name"), help: "The name of a cluster the agent registers (default: its id).") public var clusterName: String?
    @Option(help: "The number of workers of a cluster the agent registers.") public var workers: Int?
    @Option(name: .customLong("node-type"), help: "This node's type, as node_type_id and node_timeline.node_type.") public var nodeType: String?
    @Option(name: .customLong("spool-file"), help: "Keep unsent rows in this file too, so a restarted agent still sends them.")
    public var spoolFile: String?

    public init() {}

    public static func == (a: AgentOptions, b: AgentOptions) -> Bool {
        a.clusterID == b.clusterID && a.driver == b.driver && a.interval == b.interval && a.once == b.once && a.instanceID == b.instanceID
            && a.clusterName == b.clusterName && a.workers == b.workers && a.nodeType == b.nodeType && a.spoolFile == b.spoolFile
    }

    public func validate() throws {
        if let problem = ClusterID.problem(clusterID) { throw ValidationError("--cluster-id: \(problem)") }
        guard (1...3600).contains(interval) else { throw ValidationError("--interval must be between 1 and 3600 seconds") }
        if let workers, !(0...100_000).contains(workers) { throw ValidationError("--workers must be between 0 and 100000") }
    }

    /// The options as command-line arguments (`--name=value`, so a value starting with `-` stays a value).
    public var arguments: [String] {
        var arguments = ["--cluster-id=\(clusterID)", "--interval=\(interval)"]
        if driver { arguments.append("--driver") }
        if once { arguments.append("--once") }
        for (name, value) in [("instance-id", instanceID), ("cluster-name", clusterName), ("workers", workers.map(String.init)),
                              ("node-type", nodeType), ("spool-file", spoolFile)] {
            if let value { arguments.append("--\(name)=\(value)") }
        }
        return arguments
    }
}
