import VigilAlerts
import VigilCore
import VigilMonitoring

/// The cluster and node families of `/metrics`, written at scrape time from the cluster registry (their label sets
/// come and go with clusters and nodes, so they are not kept in the long-lived registry): cluster state, nodes up
/// and lost, and each reporting node's newest CPU, memory and disk sample.
enum ComputeMetrics {
    static func text(clusters: [ClusterRecord], samples: [NodeTimelineRow]) -> String {
        var out = ""
        func family(_ name: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
        }
        func line(_ name: String, _ labels: [(String, String)], _ value: Double) {
            let rendered = labels.map { "\($0.0)=\"\(PrometheusText.escape($0.1))\"" }.joined(separator: ",")
            let number = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
            out += "\(name){\(rendered)} \(number)\n"
        }
        family("vigil_cluster_state", "1 for the state each cluster is in (PENDING, RUNNING, RESIZING, RESTARTING, UNKNOWN, TERMINATED, ...).")
        for cluster in clusters {
            for state in ClusterState.allCases {
                line("vigil_cluster_state", [("cluster_id", cluster.clusterID), ("cluster_name", cluster.spec.clusterName), ("state", state.rawValue)],
                     cluster.state == state ? 1 : 0)
            }
        }
        family("vigil_cluster_nodes", "Nodes of each cluster whose agents report (up) or missed three heartbeats (lost).")
        for cluster in clusters {
            let nodes = cluster.machine.nodes.values
            line("vigil_cluster_nodes", [("cluster_id", cluster.clusterID), ("status", "up")], Double(nodes.filter { !$0.lost }.count))
            line("vigil_cluster_nodes", [("cluster_id", cluster.clusterID), ("status", "lost")], Double(nodes.filter(\.lost).count))
        }
        family("vigil_cluster_target_workers", "Workers each cluster's spec asks for (num_workers or autoscale.min_workers).")
        for cluster in clusters {
            line("vigil_cluster_target_workers", [("cluster_id", cluster.clusterID)], Double(cluster.machine.targetWorkers))
        }
        family("vigil_node_cpu_percent", "CPU use of each reporting node over its newest sample, by mode (user, system, iowait).")
        for sample in samples {
            for (mode, value) in [("user", sample.cpuUserPercent), ("system", sample.cpuSystemPercent), ("iowait", sample.cpuWaitPercent)] {
                if let value { line("vigil_node_cpu_percent", node(sample) + [("mode", mode)], value) }
            }
        }
        family("vigil_node_memory_used_percent", "Memory used by each reporting node ((MemTotal - MemAvailable) / MemTotal) in its newest sample.")
        for sample in samples {
            if let value = sample.memUsedPercent { line("vigil_node_memory_used_percent", node(sample), value) }
        }
        family("vigil_node_disk_free_bytes", "Free bytes of each mount point of each reporting node in its newest sample.")
        for sample in samples {
            for disk in sample.diskFreeBytesPerMountPoint ?? [] {
                line("vigil_node_disk_free_bytes", node(sample) + [("mount_point", disk.mountPoint)], Double(disk.freeBytes))
            }
        }
        return out
    }

    static func node(_ sample: NodeTimelineRow) -> [(String, String)] {
        [("cluster_id", sample.clusterID), ("instance_id", sample.instanceID)]
    }

}
