import GRDB
import Testing
import VigilCore
import VigilNotify
import VigilStore
import VigilTesting
@testable import VigilAlerts

/// The repeat interval on a real SQLite file with a fake clock: a metric alarm still TRIGGERED is told again with a
/// fresh endsAt; a silence made after it fired stops the repeats.
struct RepeatTests {
    @Test("repeated after the interval with endsAt a day past the repeat; a later silence stops further repeats")
    func repeatsAndLaterSilence() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let clock = ManualWallClock(millis: 1_000_000)
        _ = try await DestinationStore(database: database, clock: clock).create(
            displayName: "hook", config: .webhook(url: "https://h.example", username: nil, password: nil, signingSecret: nil), by: "admin")
        let store = DetectionStore(database: database, clock: clock, routing: NotificationRouting(grouping: NotificationGrouping(repeatIntervalMillis: 60_000)))
        try await database.pool.write { db in
            _ = try store.open(db, ruleID: "disk-full", workspaceID: nil, title: "Disk full", level: "high", kind: "metric_alarm", eventMillis: 1_000_000,
                               group: [], eventIDs: [], count: 1, notify: ["hook"], references: ["hook"], silences: [], now: 1_000_000)
        }
        @Sendable func deliverAll() async throws -> [OutboxItem] {
            try await database.pool.write { db in
                let due = try NotificationOutbox.due(db, now: .max, limit: 100).items
                for item in due { try NotificationOutbox.finish(db, id: item.notificationID, state: .delivered, attempts: 1, error: nil, now: clock.nowMillis()) }
                return due
            }
        }
        #expect(try await deliverAll().count == 1)
        clock.advance(byMillis: 59_999)
        #expect(try await store.enqueueRepeats() == 0)
        clock.advance(byMillis: 1)
        #expect(try await store.enqueueRepeats() == 1)
        let repeated = try await deliverAll()
        let ends: Int64? = repeated.first?.notice.endsMillis
        let expected: Int64 = 1_060_000 + 86_400_000
        #expect(ends == expected, "a repeat's endsAt counts from the repeat")
        #expect(repeated.count == 1)
        // Silenced now: the alert stays TRIGGERED (it fired before the silence) but is not told again.
        try await database.pool.write { db in
            try SilenceStore.create(db, Silence(id: "s1", matchers: [.init(name: "alertname", value: "disk-full")], startsMillis: 0,
                                                endsMillis: 10_000_000, comment: "maintenance", createdBy: "admin", createdMillis: 1_060_000))
        }
        clock.advance(byMillis: 120_000)
        #expect(try await store.enqueueRepeats() == 0)
        // Expired: repeats resume.
        clock.advance(byMillis: 10_000_000)
        #expect(try await store.enqueueRepeats() == 1)
    }
}
