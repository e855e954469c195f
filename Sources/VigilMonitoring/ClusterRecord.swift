import VigilCore

/// A cluster as Vigil stores it: the client's spec, what the server keeps about it, and its machine (state, size,
/// nodes).
public struct ClusterRecord: Sendable, Equatable {
    /// Row id: list pages follow it.
    public var key: Int64
    public var clusterID: String
    public var workspaceID: String
    public var spec: ClusterSpec
    public var creator: String
    /// `API` (created through the Clusters API) or `AGENT` (registered by the first `vigil agent` that named it).
    public var source: String
    public var createMillis: Int64
    public var startMillis: Int64
    public var lastRestartedMillis: Int64?
    public var terminatedMillis: Int64?
    /// The TerminationReason of the last termination, as JSON text.
    public var terminationReason: String?
    public var machine: ClusterMachine
    /// What each node's agent said of itself (node type, host name), by instance id.
    public var nodeInfo: [String: NodeInfo]

    public struct NodeInfo: Sendable, Equatable {
        public var nodeType: String?
        public var host: String?

        public init(nodeType: String?, host: String?) {
            self.nodeType = nodeType
            self.host = host
        }
    }

    public var state: ClusterState { machine.state }
}

/// One stored cluster event (Databricks' ClusterEvent).
public struct ClusterEventRecord: Sendable, Equatable {
    public var id: Int64
    public var clusterID: String
    public var timestamp: Int64
    public var type: String
    /// The `details` object as JSON text.
    public var details: String
}

/// An agent's report about its node (`POST /api/2.0/vigil/compute/heartbeat`).
public struct Heartbeat: Sendable, Equatable {
    public var clusterID: String
    public var instanceID: String
    public var driver: Bool
    public var intervalMillis: Int64
    public var nodeType: String?
    public var host: String?
    /// The agent is stopping cleanly: its node leaves without a NODES_LOST.
    public var leaving: Bool

    public init(clusterID: String, instanceID: String, driver: Bool, intervalMillis: Int64, nodeType: String? = nil, host: String? = nil,
                leaving: Bool = false) {
        self.clusterID = clusterID
        self.instanceID = instanceID
        self.driver = driver
        self.intervalMillis = intervalMillis
        self.nodeType = nodeType
        self.host = host
        self.leaving = leaving
    }
}
