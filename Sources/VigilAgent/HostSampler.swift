#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import VigilCore

#if canImport(Glibc)
import Glibc
#endif

/// Where the sampler reads the host: `/proc` and `/sys/fs/cgroup`, or a fixture tree in tests.
public struct HostPaths: Sendable {
    public var proc: String
    public var cgroup: String
    /// Free space is read with statvfs on the mount points found; a fixture replaces the call.
    public var freeBytes: @Sendable (String) -> Int64?

    public init(proc: String = "/proc", cgroup: String = "/sys/fs/cgroup", freeBytes: @escaping @Sendable (String) -> Int64? = HostPaths.statvfsFree) {
        self.proc = proc
        self.cgroup = cgroup
        self.freeBytes = freeBytes
    }

    /// Bytes available to unprivileged users on the file system at `path` (`f_bavail × f_frsize`, as `df` shows).
    public static let statvfsFree: @Sendable (String) -> Int64? = { path in
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(clamping: UInt64(stats.f_bavail) &* UInt64(stats.f_frsize))
    }

    func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Turns two readings of the host, an interval apart, into one `system.compute.node_timeline` row. The first call
/// of `sample` only takes the starting reading (CPU and network are deltas).
public final class HostSampler: @unchecked Sendable {
    public let paths: HostPaths
    let clusterID: String
    let instanceID: String
    let driver: Bool
    let nodeType: String?

    struct Reading {
        var millis: Int64
        var cpu: CPUTicks?
        var network: NetworkReading?
        var cgroup: CgroupReading
    }

    private var previous: Reading?

    public init(paths: HostPaths = HostPaths(), clusterID: String, instanceID: String, driver: Bool, nodeType: String?) {
        self.paths = paths
        self.clusterID = clusterID
        self.instanceID = instanceID
        self.driver = driver
        self.nodeType = nodeType
    }

    /// Takes a reading at `millis`; answers the row of the interval since the previous one (nil on the first call,
    /// or when no time passed).
    public func sample(at millis: Int64) -> NodeTimelineRow? {
        let reading = Reading(
            millis: millis, cpu: paths.read(paths.proc + "/stat").flatMap { CPUTicks.parse(procStat: $0) },
            network: paths.read(paths.proc + "/net/dev").flatMap { NetworkReading.parse(netDev: $0) }, cgroup: cgroupReading())
        defer { previous = reading }
        guard let previous, millis > previous.millis else { return nil }
        var row = NodeTimelineRow(clusterID: clusterID, instanceID: instanceID, startMillis: previous.millis, endMillis: millis)
        row.driver = driver
        row.nodeType = nodeType
        let seconds = Double(millis - previous.millis) / 1000
        if let limited = CgroupReading.cpuPercentages(from: previous.cgroup, to: reading.cgroup, seconds: seconds) {
            // In a container with a CPU limit, use is measured against the limit; iowait is the host's.
            row.cpuUserPercent = limited.user
            row.cpuSystemPercent = limited.system
            if let old = previous.cpu, let new = reading.cpu { row.cpuWaitPercent = CPUTicks.percentages(from: old, to: new)?.iowait }
        } else if let old = previous.cpu, let new = reading.cpu, let cpu = CPUTicks.percentages(from: old, to: new) {
            row.cpuUserPercent = cpu.user
            row.cpuSystemPercent = cpu.system
            row.cpuWaitPercent = cpu.iowait
        }
        if let memory = paths.read(paths.proc + "/meminfo").flatMap({ MemoryReading.parse(meminfo: $0) }) {
            row.memUsedPercent = reading.cgroup.memoryUsedPercent ?? memory.usedPercent
            row.memSwapPercent = memory.swapPercent
        }
        if let old = previous.network, let new = reading.network {
            let moved = NetworkReading.delta(from: old, to: new)
            row.networkReceivedBytes = moved.received
            row.networkSentBytes = moved.sent
        }
        if let mounts = paths.read(paths.proc + "/self/mounts") {
            let disks = MountTable.realMountPoints(mounts: mounts).compactMap { point in
                paths.freeBytes(point).map { NodeTimelineRow.DiskFree(mountPoint: point, freeBytes: $0) }
            }
            row.diskFreeBytesPerMountPoint = disks.sorted { $0.mountPoint < $1.mountPoint }
        }
        return row
    }

    func cgroupReading() -> CgroupReading {
        func file(_ name: String) -> String? { paths.read(paths.cgroup + "/" + name) }
        // The root cgroup (a host, not a container) has no memory.max or cpu.max: no limits then.
        return CgroupReading.parse(memoryMax: file("memory.max"), memoryCurrent: file("memory.current"), memoryStat: file("memory.stat"),
                                   cpuMax: file("cpu.max"), cpuStat: file("cpu.stat"))
    }
}

extension NodeTimelineRow {
    /// The row in the JSON the server reads (`system.compute.node_timeline` column names, RFC 3339 times).
    public var json: JSONValue {
        var members = [
            JSONMember("cluster_id", .string(clusterID)), JSONMember("instance_id", .string(instanceID)),
            JSONMember("start_time", .string(Timestamp.formatRFC3339(millis: startMillis))),
            JSONMember("end_time", .string(Timestamp.formatRFC3339(millis: endMillis))),
        ]
        if let driver { members.append(JSONMember("driver", .bool(driver))) }
        if let nodeType { members.append(JSONMember("node_type", .string(nodeType))) }
        func number(_ key: String, _ value: Double?) {
            // Three decimals, written by Swift (String(format:) is Foundation's, which the agent does without).
            if let value, value.isFinite { members.append(JSONMember(key, .number(String((value * 1000).rounded() / 1000)))) }
        }
        number("cpu_user_percent", cpuUserPercent)
        number("cpu_system_percent", cpuSystemPercent)
        number("cpu_wait_percent", cpuWaitPercent)
        number("mem_used_percent", memUsedPercent)
        number("mem_swap_percent", memSwapPercent)
        if let networkSentBytes { members.append(JSONMember("network_sent_bytes", .number(String(networkSentBytes)))) }
        if let networkReceivedBytes { members.append(JSONMember("network_received_bytes", .number(String(networkReceivedBytes)))) }
        if let disks = diskFreeBytesPerMountPoint {
            members.append(JSONMember("disk_free_bytes_per_mount_point", .object(disks.map { JSONMember($0.mountPoint, .number(String($0.freeBytes))) })))
        }
        return .object(members)
    }
}
