/// Parsers of the Linux files `vigil agent` samples (reference monitoring-anchors.md §7): pure functions of the
/// files' text, so the math is tested on fixture files and the reads are one line each.

/// The aggregate `cpu` line of `/proc/stat`, in USER_HZ ticks since boot.
public struct CPUTicks: Sendable, Equatable {
    public var user: UInt64
    public var nice: UInt64
    public var system: UInt64
    public var idle: UInt64
    public var iowait: UInt64
    public var irq: UInt64
    public var softirq: UInt64
    public var steal: UInt64

    public init(user: UInt64, nice: UInt64, system: UInt64, idle: UInt64, iowait: UInt64, irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0) {
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
    }

    /// Every tick counted once: `guest` and `guest_nice` are already inside `user` and `nice`, so they are left out.
    public var total: UInt64 { user + nice + system + idle + iowait + irq + softirq + steal }

    /// Reads the first (`cpu `) line of `/proc/stat`.
    public static func parse(procStat text: String) -> CPUTicks? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 5 else { return nil }
        func at(_ index: Int) -> UInt64 { index < values.count ? values[index] : 0 }
        return CPUTicks(user: at(0), nice: at(1), system: at(2), idle: at(3), iowait: at(4), irq: at(5), softirq: at(6), steal: at(7))
    }

    /// CPU use between two readings, in percent of all CPU time: user (user + nice), system (system + irq + softirq)
    /// and iowait. Nil when no time passed (or the counters went back, as after a reboot).
    public static func percentages(from old: CPUTicks, to new: CPUTicks) -> (user: Double, system: Double, iowait: Double)? {
        guard new.total > old.total, new.user >= old.user, new.nice >= old.nice, new.system >= old.system, new.iowait >= old.iowait,
              new.irq >= old.irq, new.softirq >= old.softirq, new.idle >= old.idle, new.steal >= old.steal
        else { return nil }
        let total = Double(new.total - old.total)
        let user = Double((new.user - old.user) + (new.nice - old.nice))
        let system = Double((new.system - old.system) + (new.irq - old.irq) + (new.softirq - old.softirq))
        let iowait = Double(new.iowait - old.iowait)
        return (user / total * 100, system / total * 100, iowait / total * 100)
    }
}

/// The `/proc/meminfo` values the node timeline needs, in kB as the file gives them.
public struct MemoryReading: Sendable, Equatable {
    public var totalKB: UInt64
    public var availableKB: UInt64
    public var swapTotalKB: UInt64
    public var swapFreeKB: UInt64

    public init(totalKB: UInt64, availableKB: UInt64, swapTotalKB: UInt64, swapFreeKB: UInt64) {
        self.totalKB = totalKB
        self.availableKB = availableKB
        self.swapTotalKB = swapTotalKB
        self.swapFreeKB = swapFreeKB
    }

    public static func parse(meminfo text: String) -> MemoryReading? {
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let number = parts[1].split(separator: " ").first.flatMap({ UInt64($0) }) else { continue }
            values[parts[0]] = number
        }
        guard let total = values["MemTotal"], total > 0, let available = values["MemAvailable"] else { return nil }
        return MemoryReading(totalKB: total, availableKB: min(available, total), swapTotalKB: values["SwapTotal"] ?? 0,
                             swapFreeKB: min(values["SwapFree"] ?? 0, values["SwapTotal"] ?? 0))
    }

    /// (MemTotal − MemAvailable) / MemTotal: memory no longer available to new work, background processes included.
    public var usedPercent: Double { Double(totalKB - availableKB) / Double(totalKB) * 100 }

    /// Swap in use; 0 without swap.
    public var swapPercent: Double { swapTotalKB == 0 ? 0 : Double(swapTotalKB - swapFreeKB) / Double(swapTotalKB) * 100 }
}

/// Bytes received and sent by every network interface but loopback, from `/proc/net/dev`.
public struct NetworkReading: Sendable, Equatable {
    public var receivedBytes: UInt64
    public var sentBytes: UInt64

    public init(receivedBytes: UInt64, sentBytes: UInt64) {
        self.receivedBytes = receivedBytes
        self.sentBytes = sentBytes
    }

    public static func parse(netDev text: String) -> NetworkReading? {
        var received: UInt64 = 0
        var sent: UInt64 = 0
        var sawInterface = false
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmed(" ")
            let fields = parts[1].split(separator: " ").compactMap { UInt64($0) }
            // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes ...
            guard fields.count >= 16 else { continue }
            sawInterface = true
            if name == "lo" { continue }
            received &+= fields[0]
            sent &+= fields[8]
        }
        return sawInterface ? NetworkReading(receivedBytes: received, sentBytes: sent) : nil
    }

    /// Bytes moved between two readings; a counter that went back (an interface removed, a wrap) counts from zero.
    public static func delta(from old: NetworkReading, to new: NetworkReading) -> (received: Int64, sent: Int64) {
        func difference(_ a: UInt64, _ b: UInt64) -> Int64 { b >= a ? Int64(clamping: b - a) : Int64(clamping: b) }
        return (difference(old.receivedBytes, new.receivedBytes), difference(old.sentBytes, new.sentBytes))
    }
}

/// The mount points of real file systems in `/proc/self/mounts`: block devices and the container root (overlay),
/// not proc, sysfs, cgroup, tmpfs and the like. Each mount point once, in the file's order.
public enum MountTable {
    static let pseudo: Set<String> = [
        "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs", "devpts", "devtmpfs", "efivarfs", "fusectl",
        "hugetlbfs", "mqueue", "nsfs", "proc", "pstore", "ramfs", "rpc_pipefs", "securityfs", "sysfs", "tmpfs", "tracefs", "squashfs",
        "fuse.lxcfs", "fuse.portal", "fuse.gvfsd-fuse", "nfsd", "selinuxfs",
    ]

    public static func realMountPoints(mounts text: String) -> [String] {
        var seen: Set<String> = []
        var points: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let device = String(fields[0])
            let type = String(fields[2])
            guard !pseudo.contains(type), device.hasPrefix("/") || ["overlay", "zfs", "btrfs", "xfs", "ext4"].contains(type) else { continue }
            let point = unescape(String(fields[1]))
            if seen.insert(point).inserted { points.append(point) }
        }
        return points
    }

    /// The kernel writes space, tab, newline and backslash in mount points as octal escapes (`\040`).
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
               let value = UInt8(String(decoding: source[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// cgroup v2 limits of the agent's own cgroup, when it runs in a container with limits (reference
/// monitoring-anchors.md §7): memory against `memory.max`, CPU against `cpu.max`.
public struct CgroupReading: Sendable, Equatable {
    /// `memory.max` in bytes; nil when unlimited (`max`).
    public var memoryLimitBytes: UInt64?
    /// `memory.current` minus the page cache the kernel can drop at once (`inactive_file` of `memory.stat`), as
    /// `docker stats` counts it.
    public var memoryUsedBytes: UInt64?
    /// CPUs the cgroup may use (`cpu.max` quota / period); nil when unlimited.
    public var cpuLimit: Double?
    /// `cpu.stat` user and system time, in microseconds.
    public var userMicros: UInt64?
    public var systemMicros: UInt64?

    public init(memoryLimitBytes: UInt64? = nil, memoryUsedBytes: UInt64? = nil, cpuLimit: Double? = nil, userMicros: UInt64? = nil,
                systemMicros: UInt64? = nil) {
        self.memoryLimitBytes = memoryLimitBytes
        self.memoryUsedBytes = memoryUsedBytes
        self.cpuLimit = cpuLimit
        self.userMicros = userMicros
        self.systemMicros = systemMicros
    }

    /// Reads the files' texts (nil where a file is absent).
    public static func parse(memoryMax: String?, memoryCurrent: String?, memoryStat: String?, cpuMax: String?, cpuStat: String?) -> CgroupReading {
        var reading = CgroupReading()
        if let limit = memoryMax.flatMap({ UInt64($0.trimmed(" \n")) }) { reading.memoryLimitBytes = limit }
        if let current = memoryCurrent.flatMap({ UInt64($0.trimmed(" \n")) }) {
            let inactive = memoryStat.flatMap { value(of: "inactive_file", in: $0) } ?? 0
            reading.memoryUsedBytes = current > inactive ? current - inactive : 0
        }
        if let parts = cpuMax?.trimmed(" \n").split(separator: " "), parts.count == 2, let quota = Double(parts[0]),
           let period = Double(parts[1]), period > 0, quota > 0 {
            reading.cpuLimit = quota / period
        }
        if let cpuStat {
            reading.userMicros = value(of: "user_usec", in: cpuStat)
            reading.systemMicros = value(of: "system_usec", in: cpuStat)
        }
        return reading
    }

    static func value(of key: String, in text: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return UInt64(parts[1]) }
        }
        return nil
    }

    /// Memory used in percent of the cgroup's limit; nil without a limit.
    public var memoryUsedPercent: Double? {
        guard let limit = memoryLimitBytes, limit > 0, let used = memoryUsedBytes else { return nil }
        return min(100, Double(used) / Double(limit) * 100)
    }

    /// CPU used between two readings `seconds` apart, in percent of the cgroup's CPU limit; nil without a limit.
    public static func cpuPercentages(from old: CgroupReading, to new: CgroupReading, seconds: Double) -> (user: Double, system: Double)? {
        guard let limit = new.cpuLimit, seconds > 0, let oldUser = old.userMicros, let newUser = new.userMicros, let oldSystem = old.systemMicros,
              let newSystem = new.systemMicros, newUser >= oldUser, newSystem >= oldSystem
        else { return nil }
        let capacity = limit * seconds * 1_000_000
        return (min(100, Double(newUser - oldUser) / capacity * 100), min(100, Double(newSystem - oldSystem) / capacity * 100))
    }
}

extension StringProtocol {
    func trimmed(_ set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
