import Foundation
import Synchronization
import Testing
import VigilCore
import VigilTesting
@testable import VigilLogs

@Suite("Host log store (syslog lines in logs.sqlite)")
struct HostLogStoreTests {
    func withStore(_ body: (HostLogStore, LogDatabase) async throws -> Void) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try LogDatabase.open(dataDirectory: folder.path)
        try await body(HostLogStore(database: database), database)
        try database.pool.close()
    }

    static func line(_ millis: Int64, _ message: String, host: String = "web-1", app: String? = "cron", severity: Int = 6) -> HostLogLine {
        HostLogLine(timestampMillis: millis, receivedMillis: millis + 5, host: host, appName: app, procID: "812", facility: 9,
                    severity: severity, message: message, sender: "192.0.2.7")
    }

    @Test("lines come newest first; host, app, severity (that level and worse), search and time filters combine; has_more past the limit")
    func filters() async throws {
        try await withStore { store, _ in
            try await store.append([
                Self.line(10, "job started"), Self.line(20, "disk 91% full", app: "kernel", severity: 4),
                Self.line(30, "job done", host: "db-1"), Self.line(40, "OOM killer", app: "kernel", severity: 2),
            ])
            #expect(try await store.lines(HostLogQuery()).lines.map(\.message) == ["OOM killer", "job done", "disk 91% full", "job started"])
            var query = HostLogQuery()
            query.host = "web-1"
            #expect(try await store.lines(query).lines.map(\.message) == ["OOM killer", "disk 91% full", "job started"])
            query.appName = "kernel"
            #expect(try await store.lines(query).lines.map(\.message) == ["OOM killer", "disk 91% full"])
            query.maxSeverity = 3
            #expect(try await store.lines(query).lines.map(\.message) == ["OOM killer"])
            var search = HostLogQuery()
            search.search = "JOB"
            #expect(try await store.lines(search).lines.map(\.message) == ["job done", "job started"])
            search.search = "91%"
            #expect(try await store.lines(search).lines.map(\.message) == ["disk 91% full"])
            search.search = "1%"
            #expect(try await store.lines(search).lines.map(\.message) == ["disk 91% full"])
            search.search = "_"
            #expect(try await store.lines(search).lines.isEmpty, "LIKE's _ matches only itself")
            var window = HostLogQuery()
            window.startMillis = 20
            window.endMillis = 40
            #expect(try await store.lines(window).lines.map(\.message) == ["job done", "disk 91% full"])
            var limited = HostLogQuery()
            limited.limit = 3
            let page = try await store.lines(limited)
            #expect(page.lines.count == 3 && page.more)
            limited.limit = 4
            #expect(try await store.lines(limited).more == false)
            let first = try #require(try await store.lines(window).lines.last)
            #expect(first == Self.line(20, "disk 91% full", app: "kernel", severity: 4), "every field is stored and read back")
        }
    }

    @Test("the retention sweep deletes lines received before the cutoff, in batches, whatever time they claim; appends of over 1,000 lines are stored whole")
    func sweep() async throws {
        try await withStore { store, _ in
            // Received at 5 to 29 (the helper's receive time is its time + 5); one claims the year 9999.
            var lines = (0..<25).map { Self.line(Int64($0), "line \($0)") }
            lines[0].timestampMillis = 253_402_300_799_000
            try await store.append(lines)
            #expect(try await store.sweep(receivedBefore: 25, batch: 7) == 20)
            #expect(try await store.count() == 5)
            #expect(try await store.sweep(receivedBefore: 25) == 0)
            try await store.append((0..<2500).map { Self.line(1000 + Int64($0), "bulk") })
            #expect(try await store.count() == 2505)
        }
    }

    @Test("an answer stops at 16 MiB of messages and says more matched")
    func answerBytes() async throws {
        try await withStore { store, _ in
            let big = String(repeating: "x", count: 1 << 20)
            try await store.append((0..<20).map { Self.line(Int64($0), big) })
            var query = HostLogQuery()
            query.limit = 100
            let answer = try await store.lines(query)
            #expect(answer.lines.count == 16 && answer.more)
        }
    }

    @Test("the log retention service sweeps host lines with the app log retention and reports them apart")
    func retentionService() async throws {
        try await withStore { store, database in
            let now: Int64 = 1_000_000
            try await store.append([Self.line(now - 500_000, "old"), Self.line(now - 10, "new")])
            let hostSwept = SweptCount()
            let appSwept = SweptCount()
            let service = LogRetentionService(
                store: LogStore(database: database), retentionMillis: 100_000, interval: .seconds(60), clock: FixedWallClock(millis: now),
                liveApps: { [:] }, swept: { appSwept.add($0) }, hostSwept: { hostSwept.add($0) }, logger: .init(label: "test"))
            #expect(try await service.sweepOnce() == 1)
            #expect(hostSwept.value == 1 && appSwept.value == 0)
            #expect(try await store.lines(HostLogQuery()).lines.map(\.message) == ["new"])
        }
    }

    @Test("severity names: RFC 5424's, their common spellings, and numbers 0 to 7; anything else is nil")
    func severityNames() {
        #expect(HostLogLine.severity(named: "warning") == 4 && HostLogLine.severity(named: "WARN") == 4)
        #expect(HostLogLine.severity(named: "err") == 3 && HostLogLine.severity(named: "error") == 3)
        #expect(HostLogLine.severity(named: "emerg") == 0 && HostLogLine.severity(named: "debug") == 7 && HostLogLine.severity(named: "7") == 7)
        #expect(HostLogLine.severity(named: "8") == nil && HostLogLine.severity(named: "loud") == nil)
    }
}

final class SweptCount: Sendable {
    private let total = Mutex(0)
    func add(_ count: Int) { total.withLock { $0 += count } }
    var value: Int { total.withLock { $0 } }
}
