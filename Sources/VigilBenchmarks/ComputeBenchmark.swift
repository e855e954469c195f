import AsyncHTTPClient
import Foundation
import NIOCore
import VigilCore
import VigilServer
import VigilStore
import VigilTesting

/// (l)-(n) Monitoring: heartbeats with node_timeline rows from 100 simulated agents over HTTP; a real `vigil agent`'s
/// CPU and memory at a 10 s interval; a 30-day utilisation query over 100 nodes' one-minute rows (4.3M rows).
enum ComputeBenchmark {
    static func run(reportsPerAgent: Int, agentSeconds: Int, utilisationDays: Int) async throws {
        try await LiveServer.run { server in
            let rate = try await agentIngest(server, agents: 100, reports: reportsPerAgent)
            print(String(format: "(l) node_timeline ingest, 100 simulated agents x %d heartbeats of one row each: %.0f rows/s (%.2f s)",
                         reportsPerAgent, rate.rows, rate.seconds))
            let agent = try await agentCost(server, seconds: agentSeconds)
            print(String(format: "(m) vigil agent at a 10 s interval over %d s: CPU %.3f%% of one core, RSS %.1f MB (peak %.1f MB)",
                         agentSeconds, agent.cpuPercent, agent.rssMB, agent.peakMB))
        }
        try await utilisationQuery(days: utilisationDays)
    }

    /// Each agent sends its heartbeats one after another (as a real agent does), all 100 at once.
    static func agentIngest(_ server: LiveServer, agents: Int, reports: Int) async throws -> (rows: Double, seconds: Double) {
        let start = SystemWallClock().nowMillis() - Int64(reports + 10) * 60_000
        let began = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for agent in 0..<agents {
                group.addTask {
                    for report in 0..<reports {
                        let from = start + Int64(report) * 60_000
                        let body = """
                            {"cluster_id":"bench-\(agent / 10)","instance_id":"node-\(agent)","driver":\(agent % 10 == 0),"interval_seconds":60,
                             "node_timeline":[{"cluster_id":"bench-\(agent / 10)","instance_id":"node-\(agent)","start_time":"\(Timestamp.formatRFC3339(millis: from))",
                             "end_time":"\(Timestamp.formatRFC3339(millis: from + 60_000))","cpu_user_percent":\(report % 90).5,"cpu_system_percent":3.25,
                             "cpu_wait_percent":0.5,"mem_used_percent":41.5,"mem_swap_percent":0,"network_sent_bytes":\(report * 1000),
                             "network_received_bytes":\(report * 3000),"disk_free_bytes_per_mount_point":{"/":53687091200,"/local_disk0":107374182400}}]}
                            """
                        let reply = try await server.request(.POST, "/api/2.0/vigil/compute/heartbeat", json: body)
                        guard reply.status == 200 else { throw VigilError(.internal, "heartbeat answered \(reply.status): \(reply.text)") }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - began).seconds
        return (Double(agents * reports) / seconds, seconds)
    }

    /// Starts the built `vigil agent` with a 10 s interval and reads its CPU time and memory from /proc after a warm-up.
    static func agentCost(_ server: LiveServer, seconds: Int) async throws -> (cpuPercent: Double, rssMB: Double, peakMB: Double) {
        let agent = try RunningCommand(["agent", "--cluster-id", "measured", "--driver", "--interval", "10"],
                                       environment: ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken])
        defer { agent.signal(SIGTERM) }
        try await Task.sleep(for: .seconds(3))
        let ticksBefore = cpuTicks(agent.processIdentifier)
        let began = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let ticks = cpuTicks(agent.processIdentifier) - ticksBefore
        let elapsed = (ContinuousClock.now - began).seconds
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        let status = (try? String(contentsOfFile: "/proc/\(agent.processIdentifier)/status", encoding: .utf8)) ?? ""
        func kilobytes(_ key: String) -> Double {
            let line = status.split(separator: "\n").first { $0.hasPrefix(key + ":") } ?? ""
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return (Double(ticks) / hertz / elapsed * 100, kilobytes("VmRSS") / 1024, kilobytes("VmHWM") / 1024)
    }

    /// utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat, after the command name).
    static func cpuTicks(_ pid: Int32) -> Int64 {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13 else { return 0 }
        return (Int64(fields[11]) ?? 0) + (Int64(fields[12]) ?? 0)
    }

    /// 100 nodes × one row a minute × `days` days, then daily CPU and memory per cluster over the last 30 days.
    static func utilisationQuery(days: Int) async throws {
        let folder = try TemporaryDirectory(prefix: "vigil-bench-compute")
        defer { folder.remove() }
        let database = try VigilDatabase(path: folder.file("vigil.sqlite"))
        let store = NodeTimelineStore(database: database)
        let now = SystemWallClock().nowMillis() / 60_000 * 60_000
        let minutes = days * 1440
        let began = ContinuousClock.now
        var batch: [NodeTimelineRow] = []
        batch.reserveCapacity(20_000)
        for minute in 0..<minutes {
            let start = now - Int64(minutes - minute) * 60_000
            for node in 0..<100 {
                var row = NodeTimelineRow(clusterID: "cluster-\(node / 10)", instanceID: "node-\(node)", startMillis: start, endMillis: start + 60_000)
                let wave = Double((minute * 7 + node * 13) % 100)
                row.workspaceID = "1001"
                row.driver = node % 10 == 0
                row.cpuUserPercent = wave * 0.8
                row.cpuSystemPercent = wave * 0.1
                row.cpuWaitPercent = 0.5
                row.memUsedPercent = 20 + wave * 0.7
                row.memSwapPercent = 0
                row.networkSentBytes = Int64(minute)
                row.networkReceivedBytes = Int64(minute * 3)
                row.diskFreeBytesPerMountPoint = [.init(mountPoint: "/", freeBytes: Int64(20 + (minute + node) % 40) << 30)]
                row.nodeType = "i3.xlarge"
                batch.append(row)
                if batch.count == 20_000 {
                    _ = try await store.insert(batch, receivedMillis: now)
                    batch.removeAll(keepingCapacity: true)
                }
            }
        }
        if !batch.isEmpty { _ = try await store.insert(batch, receivedMillis: now) }
        let loadSeconds = (ContinuousClock.now - began).seconds
        print(String(format: "(n) %d node_timeline rows (100 nodes x 1-minute rows x %d days) loaded in %.1f s; 30-day utilisation queries:",
                     minutes * 100, days, loadSeconds))
        let queries = [
            ("daily CPU and memory per cluster (30 d)", """
                SELECT cluster_id, date_trunc('DAY', start_time) AS day, avg(cpu_user_percent + cpu_system_percent) AS cpu,
                       max(mem_used_percent) AS peak_memory
                FROM system.compute.node_timeline WHERE start_time >= current_timestamp() - INTERVAL 30 DAYS
                GROUP BY cluster_id, date_trunc('DAY', start_time) ORDER BY cluster_id, day
                """),
            ("busiest nodes, 30 d average CPU", """
                SELECT instance_id, avg(cpu_user_percent) AS cpu FROM system.compute.node_timeline
                WHERE start_time >= current_timestamp() - INTERVAL 30 DAYS GROUP BY instance_id ORDER BY cpu DESC LIMIT 10
                """),
        ]
        for line in try await SQLBenchmark.run(database: try VigilDatabase(path: folder.file("vigil.sqlite"), readOnly: true), now: now, queries: queries) {
            print("    " + line)
        }
    }
}
