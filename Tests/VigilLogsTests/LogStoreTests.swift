import Foundation
import Testing
import VigilCore
import VigilTesting
@testable import VigilLogs

@Suite("Log store (logs.sqlite)")
struct LogStoreTests {
    func withStore(_ body: (LogStore, String) async throws -> Void) async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try LogDatabase.open(dataDirectory: folder.path)
        try await body(LogStore(database: database), folder.path)
        try database.pool.close()
    }

    static func line(_ millis: Int64, _ message: String, source: LogSource = .app, level: String? = nil) -> LogLine {
        LogLine(timestampMillis: millis, source: source, level: level, message: message)
    }

    @Test("the tail is the newest lines by time then arrival, oldest first, filtered before the limit")
    func tail() async throws {
        try await withStore { store, _ in
            _ = try await store.append([Self.line(30, "c"), Self.line(10, "a"), Self.line(20, "b ERROR", level: "ERROR")], appKey: 1, appName: "shop",
                                       batchKey: nil, receivedMillis: 0)
            _ = try await store.append([Self.line(20, "b2", source: .system)], appKey: 1, appName: "shop", batchKey: nil, receivedMillis: 0)
            _ = try await store.append([Self.line(40, "other app")], appKey: 2, appName: "other", batchKey: nil, receivedMillis: 0)
            #expect(try await store.tail(appKey: 1, limit: 10).map(\.line.message) == ["a", "b ERROR", "b2", "c"])
            #expect(try await store.tail(appKey: 1, limit: 2).map(\.line.message) == ["b2", "c"])
            #expect(try await store.tail(appKey: 1, limit: 10, filter: LogFilter(search: "error")).map(\.line.message) == ["b ERROR"])
            #expect(try await store.tail(appKey: 1, limit: 10, filter: LogFilter(source: .system)).map(\.line.message) == ["b2"])
            #expect(try await store.tail(appKey: 1, limit: 10, filter: LogFilter(level: "error")).map(\.line.message) == ["b ERROR"])
            #expect(try await store.count(appKey: 2) == 1)
        }
    }

    @Test("search characters that mean something to LIKE match only themselves")
    func likeEscapes() async throws {
        try await withStore { store, _ in
            _ = try await store.append([Self.line(1, "100% done"), Self.line(2, "1000 done"), Self.line(3, "a_b"), Self.line(4, "axb")],
                                       appKey: 1, appName: "shop", batchKey: nil, receivedMillis: 0)
            #expect(try await store.tail(appKey: 1, limit: 10, filter: LogFilter(search: "0%")).map(\.line.message) == ["100% done"])
            #expect(try await store.tail(appKey: 1, limit: 10, filter: LogFilter(search: "a_b")).map(\.line.message) == ["a_b"])
        }
    }

    @Test("a push resent with the same batch key stores nothing again")
    func batchKeys() async throws {
        try await withStore { store, _ in
            let first = try await store.append([Self.line(1, "a"), Self.line(2, "b")], appKey: 1, appName: "shop", batchKey: "run-1", receivedMillis: 0)
            guard case .stored(let stored) = first else { Issue.record("\(first)"); return }
            #expect(stored.map(\.id) == [1, 2])
            #expect(try await store.append([Self.line(1, "a"), Self.line(2, "b")], appKey: 1, appName: "shop", batchKey: "run-1", receivedMillis: 0)
                    == .duplicate(lines: 2))
            // The same key for another app is another batch.
            guard case .stored = try await store.append([Self.line(1, "a")], appKey: 2, appName: "x", batchKey: "run-1", receivedMillis: 0) else {
                Issue.record("not stored"); return
            }
            #expect(try await store.count(appKey: 1) == 2)
        }
    }

    @Test("retention deletes lines older than the cutoff and every line of a deleted app, in small transactions")
    func sweep() async throws {
        try await withStore { store, _ in
            let old = (0..<25).map { Self.line(Int64($0), "old \($0)") }
            _ = try await store.append(old + [Self.line(1_000, "new")], appKey: 1, appName: "shop", batchKey: "k", receivedMillis: 0)
            _ = try await store.append([Self.line(2_000, "gone app")], appKey: 9, appName: "gone", batchKey: nil, receivedMillis: 0)
            let deleted = try await store.sweep(keys: try await store.storedAppKeys(), defaultCutoff: 500, cutoffs: [1: nil], batch: 10)
            #expect(deleted == 26)
            #expect(try await store.tail(appKey: 1, limit: 100).map(\.line.message) == ["new"])
            #expect(try await store.count(appKey: 9) == 0)
            // The batch key went with its retention: the same key can be stored again.
            guard case .stored = try await store.append([Self.line(3_000, "again")], appKey: 1, appName: "shop", batchKey: "k", receivedMillis: 600) else {
                Issue.record("batch key kept past retention"); return
            }
        }
    }

    @Test("an app's own retention wins over the default, for longer or shorter")
    func perAppRetention() async throws {
        try await withStore { store, _ in
            for key in Int64(1)...3 {
                _ = try await store.append([Self.line(100, "old"), Self.line(900, "new")], appKey: key, appName: "app\(key)", batchKey: nil, receivedMillis: 0)
            }
            // App 1 keeps the default (cut at 500), app 2 keeps everything past 50, app 3 drops everything before 1000.
            _ = try await store.sweep(keys: [1, 2, 3], defaultCutoff: 500, cutoffs: [1: nil, 2: 50, 3: 1000])
            #expect(try await store.tail(appKey: 1, limit: 10).map(\.line.message) == ["new"])
            #expect(try await store.tail(appKey: 2, limit: 10).map(\.line.message) == ["old", "new"])
            #expect(try await store.tail(appKey: 3, limit: 10).isEmpty)
        }
    }

    @Test("a key the sweep did not list (an app created after the keys were read) keeps its lines; batch keys go per app")
    func sweepKeys() async throws {
        try await withStore { store, _ in
            _ = try await store.append([Self.line(100, "a")], appKey: 1, appName: "a", batchKey: "k1", receivedMillis: 100)
            _ = try await store.append([Self.line(100, "b")], appKey: 2, appName: "b", batchKey: "k2", receivedMillis: 100)
            // App 2 keeps a day of lines, app 1 only past 500: only app 1's batch key goes.
            _ = try await store.sweep(keys: [1], defaultCutoff: 500, cutoffs: [1: nil, 2: nil])
            #expect(try await store.count(appKey: 2) == 1)
            #expect(try await store.storedAppKeys() == [2])
            #expect(try await store.append([Self.line(100, "b")], appKey: 2, appName: "b", batchKey: "k2", receivedMillis: 600) == .duplicate(lines: 1))
        }
    }

    @Test("logs.sqlite is readable by its owner only")
    func fileMode() async throws {
        try await withStore { _, folder in
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/logs.sqlite")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
        }
    }
}
