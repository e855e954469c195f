import VigilCore
import VigilMonitoring

/// A cluster as the Clusters API answers it (Databricks' ClusterDetails): the spec as given, then what the server
/// keeps and what the agents report (`driver`, `executors`: the nodes reporting now).
enum ClusterJSON {
    static func value(_ cluster: ClusterRecord) -> JSONValue {
        var members = [JSONMember("cluster_id", .string(cluster.clusterID))]
        members += cluster.spec.json
        if cluster.spec.driverNodeTypeID == nil, let type = cluster.spec.nodeTypeID {
            // Databricks answers the driver's type too: the workers' unless one was given.
            members.append(JSONMember("driver_node_type_id", .string(type)))
        }
        if cluster.spec.autoscale != nil {
            // An autoscaling cluster's num_workers is its size now.
            members.append(JSONMember("num_workers", .number(String(cluster.machine.liveWorkers))))
        }
        if cluster.spec.autoterminationMinutes == nil { members.append(JSONMember("autotermination_minutes", .number("0"))) }
        members += [
            JSONMember("creator_user_name", .string(cluster.creator)),
            JSONMember("cluster_source", .string(cluster.source)),
            JSONMember("state", .string(cluster.state.rawValue)),
            JSONMember("state_message", .string(cluster.machine.stateMessage)),
            JSONMember("start_time", .number(String(cluster.startMillis))),
        ]
        if let restarted = cluster.lastRestartedMillis { members.append(JSONMember("last_restarted_time", .number(String(restarted)))) }
        if let terminated = cluster.terminatedMillis { members.append(JSONMember("terminated_time", .number(String(terminated)))) }
        if let reason = cluster.terminationReason, let value = try? JSONParser.parse(Array(reason.utf8)) {
            members.append(JSONMember("termination_reason", value))
        }
        members.append(JSONMember("default_tags", .object([
            JSONMember("Vendor", .string("Vigil")), JSONMember("Creator", .string(cluster.creator)),
            JSONMember("ClusterName", .string(cluster.spec.clusterName)), JSONMember("ClusterId", .string(cluster.clusterID)),
        ])))
        let nodes = cluster.machine.nodes.filter { !$0.value.lost }.sorted { $0.key < $1.key }
        if let driver = nodes.first(where: { $0.value.driver }) {
            members.append(JSONMember("driver", node(driver.key, driver.value, cluster.nodeInfo[driver.key])))
        }
        let executors = nodes.filter { !$0.value.driver }
        if !executors.isEmpty {
            members.append(JSONMember("executors", .array(executors.map { node($0.key, $0.value, cluster.nodeInfo[$0.key]) })))
        }
        return .object(members)
    }

    /// A SparkNode: `instance_id` and `node_id` are the agent's instance id. Vigil adds `host` (the host name the
    /// agent reported) and `node_type_id`; clients ignore members they do not know.
    static func node(_ id: String, _ node: ClusterMachine.Node, _ info: ClusterRecord.NodeInfo?) -> JSONValue {
        var members = [
            JSONMember("instance_id", .string(id)), JSONMember("node_id", .string(id)),
            JSONMember("start_timestamp", .number(String(node.firstSeenMillis))),
        ]
        if let host = info?.host { members.append(JSONMember("host", .string(host))) }
        if let type = info?.nodeType { members.append(JSONMember("node_type_id", .string(type))) }
        return .object(members)
    }
}
