import Foundation
import Testing
import VigilCore
import VigilTesting
@testable import VigilAgent

/// The sampler's math on fixture files, by hand, and once against this machine's live /proc read another way.
@Suite struct HostReadingsTests {
    static let statBefore = """
        cpu  1000 100 500 8000 200 10 40 0 50 0
        cpu0 500 50 250 4000 100 5 20 0 25 0
        intr 12345
        """
    static let statAfter = """
        cpu  1300 200 600 8600 300 20 60 20 80 0
        cpu0 650 100 300 4300 150 10 30 10 40 0
        """

    @Test func cpuPercentagesAreDeltasOverAllTicks() throws {
        let before = try #require(CPUTicks.parse(procStat: Self.statBefore))
        let after = try #require(CPUTicks.parse(procStat: Self.statAfter))
        #expect(before == CPUTicks(user: 1000, nice: 100, system: 500, idle: 8000, iowait: 200, irq: 10, softirq: 40, steal: 0))
        // Δ: user 300, nice 100, system 100, idle 600, iowait 100, irq 10, softirq 20, steal 20 = 1250 ticks (guest left out).
        let cpu = try #require(CPUTicks.percentages(from: before, to: after))
        #expect(abs(cpu.user - 400.0 / 1250 * 100) < 1e-9)
        #expect(abs(cpu.system - 130.0 / 1250 * 100) < 1e-9)
        #expect(abs(cpu.iowait - 100.0 / 1250 * 100) < 1e-9)
        // No time passed, or counters that went back (a reboot): no reading rather than a wrong one.
        #expect(CPUTicks.percentages(from: after, to: after) == nil)
        #expect(CPUTicks.percentages(from: after, to: before) == nil)
        #expect(CPUTicks.parse(procStat: "cpu0 1 2 3 4 5") == nil)
        // Old kernels print fewer columns.
        #expect(CPUTicks.parse(procStat: "cpu  1 2 3 4 5")?.steal == 0)
    }

    @Test func memoryIsTotalLessAvailable() throws {
        let memory = try #require(MemoryReading.parse(meminfo: """
            MemTotal:       16000000 kB
            MemFree:         1000000 kB
            MemAvailable:   12000000 kB
            Buffers:          100000 kB
            SwapTotal:       4000000 kB
            SwapFree:        3000000 kB
            """))
        #expect(memory.usedPercent == 25)
        #expect(memory.swapPercent == 25)
        let noSwap = try #require(MemoryReading.parse(meminfo: "MemTotal: 100 kB\nMemAvailable: 100 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB"))
        #expect(noSwap.usedPercent == 0 && noSwap.swapPercent == 0)
        #expect(MemoryReading.parse(meminfo: "MemTotal: 100 kB") == nil, "without MemAvailable (kernels before 3.14) nothing is guessed")
    }

    static let netDev = """
        Inter-|   Receive                                                |  Transmit
         face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
            lo: 9000000     100    0    0    0     0          0         0  9000000     100    0    0    0     0       0          0
          eth0:  1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
        wlan0:500 5 0 0 0 0 0 0 700 7 0 0 0 0 0 0
        """

    @Test func networkSumsInterfacesButLoopback() throws {
        let reading = try #require(NetworkReading.parse(netDev: Self.netDev))
        #expect(reading == NetworkReading(receivedBytes: 1500, sentBytes: 2700))
        let later = NetworkReading(receivedBytes: 2500, sentBytes: 2800)
        #expect(NetworkReading.delta(from: reading, to: later) == (1000, 100))
        // A counter that went back (an interface gone) counts from zero instead of going negative.
        #expect(NetworkReading.delta(from: later, to: reading) == (1500, 2700))
        #expect(NetworkReading.parse(netDev: "garbage") == nil)
    }

    @Test func realMountPointsSkipPseudoFileSystems() {
        let mounts = """
            overlay / overlay rw,relatime,lowerdir=/a 0 0
            proc /proc proc rw,nosuid 0 0
            tmpfs /dev tmpfs rw 0 0
            /dev/nvme0n1p1 /local_disk0 ext4 rw 0 0
            /dev/sda1 /mnt/with\\040space xfs rw 0 0
            /dev/nvme0n1p1 /local_disk0 ext4 rw 0 0
            cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
            sysfs /sys sysfs rw 0 0
            """
        #expect(MountTable.realMountPoints(mounts: mounts) == ["/", "/local_disk0", "/mnt/with space"])
    }

    @Test func cgroupLimitsWhenInAContainer() throws {
        let before = CgroupReading.parse(
            memoryMax: "1073741824\n", memoryCurrent: "600000000\n", memoryStat: "anon 400000000\ninactive_file 63129088\nactive_file 1\n",
            cpuMax: "50000 100000\n", cpuStat: "usage_usec 10\nuser_usec 1000000\nsystem_usec 500000\n")
        #expect(before.memoryLimitBytes == 1_073_741_824)
        #expect(before.memoryUsedBytes == 536_870_912)
        #expect(before.memoryUsedPercent == 50)
        #expect(before.cpuLimit == 0.5)
        var after = before
        after.userMicros = 1_250_000
        after.systemMicros = 550_000
        // Half a CPU for one second is 500,000 µs: 250,000 µs of user time is 50% of the limit.
        let cpu = try #require(CgroupReading.cpuPercentages(from: before, to: after, seconds: 1))
        #expect(cpu.user == 50 && cpu.system == 10)
        let unlimited = CgroupReading.parse(memoryMax: "max\n", memoryCurrent: "5", memoryStat: nil, cpuMax: "max 100000\n", cpuStat: nil)
        #expect(unlimited.memoryUsedPercent == nil && unlimited.cpuLimit == nil)
        #expect(CgroupReading.cpuPercentages(from: unlimited, to: unlimited, seconds: 1) == nil)
    }

    @Test func aSamplerOverFixtureFilesMakesOneRowPerInterval() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try FileManager.default.createDirectory(atPath: root.path + "/proc/net", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.path + "/proc/self", withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) throws { try text.write(toFile: root.path + "/proc/" + name, atomically: true, encoding: .utf8) }
        try write("stat", Self.statBefore)
        try write("net/dev", Self.netDev)
        try write("meminfo", "MemTotal: 1000 kB\nMemAvailable: 400 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n")
        try write("self/mounts", "/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /data ext4 rw 0 0\n")
        let paths = HostPaths(proc: root.path + "/proc", cgroup: root.path + "/nocgroup", freeBytes: { $0 == "/" ? 111 : 222 })
        let sampler = HostSampler(paths: paths, clusterID: "c", instanceID: "i", driver: true, nodeType: "m5")
        #expect(sampler.sample(at: 1_000) == nil, "the first reading only starts the interval")
        try write("stat", Self.statAfter)
        try write("net/dev", Self.netDev.replacingOccurrences(of: "eth0:  1000", with: "eth0:  4000"))
        let row = try #require(sampler.sample(at: 61_000))
        #expect(row.startMillis == 1_000 && row.endMillis == 61_000 && row.driver == true && row.nodeType == "m5")
        #expect(abs((row.cpuUserPercent ?? 0) - 32) < 1e-9)
        #expect(row.memUsedPercent == 60 && row.memSwapPercent == 0)
        #expect(row.networkReceivedBytes == 3000 && row.networkSentBytes == 0)
        #expect(row.diskFreeBytesPerMountPoint == [.init(mountPoint: "/", freeBytes: 111), .init(mountPoint: "/data", freeBytes: 222)])
        // The row is what the server's decoder reads back.
        var problems: [ValidationProblem] = []
        let decoded = NodeTimelineDecoder().decode(row.json, index: 0, nowMillis: 100_000, problems: &problems)
        #expect(problems.isEmpty, "\(problems)")
        #expect(decoded?.cpuUserPercent == 32 && decoded?.diskFreeBytesPerMountPoint == row.diskFreeBytesPerMountPoint)
    }

    @Test func liveReadingsAgreeWithOtherSourcesOnThisMachine() async throws {
        // Memory: MemTotal against what the C library reports.
        let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
        let memory = try #require(MemoryReading.parse(meminfo: meminfo))
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        #expect(abs(Double(memory.totalKB) * 1024 - physical) / physical < 0.01)
        #expect((0...100).contains(memory.usedPercent))
        // CPU over a busy tenth of a second: some time passed and the shares are percentages.
        let before = try #require(CPUTicks.parse(procStat: try String(contentsOfFile: "/proc/stat", encoding: .utf8)))
        let deadline = Date().addingTimeInterval(0.3)
        var spin = 0
        while Date() < deadline { spin &+= 1 }
        let after = try #require(CPUTicks.parse(procStat: try String(contentsOfFile: "/proc/stat", encoding: .utf8)))
        let cpu = try #require(CPUTicks.percentages(from: before, to: after))
        #expect(cpu.user > 0 && cpu.user + cpu.system + cpu.iowait <= 100.000001, "\(cpu) after \(spin) spins")
        // Disk: the root's free bytes by statvfs within 1% (or 64 MiB) of what df prints, and / is a real mount point.
        let points = MountTable.realMountPoints(mounts: try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8))
        #expect(points.contains("/"), "\(points)")
        let free = try #require(HostPaths.statvfsFree("/"))
        // df through posix_spawn (Foundation's Process is not safe to launch from concurrent tests).
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let df = try SpawnedProcess(executable: "/bin/df", arguments: ["-B1", "--output=avail", "/"], environment: [:],
                                    stdout: folder.file("out"), stderr: folder.file("err"))
        #expect(await df.wait() == 0)
        let text = try String(contentsOfFile: folder.file("out"), encoding: .utf8)
        let dfFree = try #require(text.split(separator: "\n").last.flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) })
        #expect(abs(free - dfFree) <= max(64 << 20, dfFree / 100), "statvfs \(free), df \(dfFree)")
    }
}

@Suite struct RowSpoolTests {
    @Test func rowsSurviveARestartAndTheOldestGoFirstWhenFull() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = folder.file("spool.ndjson")
        var spool = RowSpool(path: path, maxRows: 3)
        for index in 0..<4 { spool.append(.object([JSONMember("n", .number(String(index)))])) }
        #expect(spool.rows.map { $0["n"] } == [.number("1"), .number("2"), .number("3")])
        #expect(spool.dropped == 1)
        var restarted = RowSpool(path: path, maxRows: 3)
        #expect(restarted.rows == spool.rows)
        restarted.removeFirst(3)
        #expect(!FileManager.default.fileExists(atPath: path), "an empty spool leaves no file")
        #expect(RowSpool(path: path).rows.isEmpty)
    }
}
