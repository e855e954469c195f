import AsyncHTTPClient
import GRDB
import Logging
import Testing
import VigilCore
import VigilStore
import VigilTesting
@testable import VigilNotify

/// The outbox in a real SQLite file: queued by id or name, due in order, retried on schedule, finished once.
struct OutboxTests {
    @Test("retries double from the base to the cap, honour Retry-After, and stop at the last attempt")
    func schedule() {
        let schedule = RetrySchedule(baseMillis: 1000, capMillis: 8000, maxAttempts: 6)
        #expect((1...6).map { schedule.delay(afterAttempt: $0) } == [1000, 2000, 4000, 8000, 8000, nil])
        #expect(schedule.delay(afterAttempt: 1, retryAfterMillis: 5000) == 5000)
        #expect(schedule.delay(afterAttempt: 1, retryAfterMillis: 60_000) == 8000)
        #expect(RetrySchedule().delay(afterAttempt: 19) == 600_000)
    }

    @Test("routing: the rule's list wins, else the level's defaults")
    func routing() {
        let routing = NotificationRouting(defaultsByLevel: ["high": ["oncall"]])
        #expect(routing.references(notify: ["a"], level: "high") == ["a"])
        #expect(routing.references(notify: [], level: "high") == ["oncall"])
        #expect(routing.references(notify: [], level: "low") == [])
    }

    @Test("queued for each destination named by id or display name, unknown names answered; due, retried and finished")
    func outbox() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let clock = ManualWallClock(millis: 1_000_000)
        let store = DestinationStore(database: database, clock: clock)
        let hook = try await store.create(displayName: "hook", config: .webhook(url: "https://h.example", username: nil, password: nil, signingSecret: nil), by: "admin")
        let mail = try await store.create(displayName: "mail", config: .email(addresses: ["a@b.co"]), by: "admin")
        let notice = NoticeRenderingTests.firing
        let missing = try await database.pool.write { db in
            try NotificationOutbox.enqueue(db, notice, references: [hook.id, "mail", "ghost", "hook"], now: 1_000_000)
        }
        #expect(missing == ["ghost"])
        var due = try await database.pool.read { db in try NotificationOutbox.due(db, now: 1_000_000, limit: 10).items }
        #expect(due.map(\.destinationID) == [hook.id, mail.id])
        #expect(due.first?.notice == notice)
        let (first, second) = (due[0].notificationID, due[1].notificationID)
        try await database.pool.write { db in
            try NotificationOutbox.retry(db, id: first, attempts: 1, error: "HTTP 503", at: 1_005_000)
            try NotificationOutbox.finish(db, id: second, state: .delivered, attempts: 1, error: nil, now: 1_000_100)
        }
        due = try await database.pool.read { db in try NotificationOutbox.due(db, now: 1_004_999, limit: 10).items }
        #expect(due.isEmpty)
        #expect(try await database.pool.read { db in try NotificationOutbox.nextDue(db) } == 1_005_000)
        due = try await database.pool.read { db in try NotificationOutbox.due(db, now: 1_005_000, limit: 10).items }
        #expect(due.map(\.attempts) == [1])
        #expect(due.first?.lastError == "HTTP 503")
        let counts = try await database.pool.read { db in try NotificationOutbox.counts(db) }
        #expect(counts == [.pending: 1, .delivered: 1])
        let listed = try await database.pool.read { db in try NotificationOutbox.list(db, alertID: 42, before: nil, limit: 10) }
        #expect(listed.count == 2)
        #expect(try await database.pool.read { db in try NotificationOutbox.list(db, alertID: 7, before: nil, limit: 10) }.isEmpty)
    }

    @Test("a row dropped while its attempt was in flight keeps its drop and reason when the attempt fails; a delivery is recorded")
    func droppedInFlight() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let store = DestinationStore(database: database, clock: ManualWallClock(millis: 0))
        _ = try await store.create(displayName: "a", config: .slack(url: "https://a.example"), by: "admin")
        _ = try await store.create(displayName: "b", config: .slack(url: "https://b.example"), by: "admin")
        _ = try await store.create(displayName: "c", config: .slack(url: "https://c.example"), by: "admin")
        let ids = try await database.pool.write { db -> [Int64] in
            _ = try NotificationOutbox.enqueue(db, NoticeRenderingTests.firing, references: ["a", "b", "c"], now: 1000)
            let ids = try NotificationOutbox.due(db, now: 1000, limit: 10).items.map(\.notificationID)
            // The alert resolves while all three attempts are out.
            try db.execute(sql: "UPDATE notification_outbox SET state = 'dropped', last_error = 'superseded'")
            try NotificationOutbox.retry(db, id: ids[0], attempts: 1, error: "HTTP 503", at: 2000)
            try NotificationOutbox.finish(db, id: ids[1], state: .failed, attempts: 1, error: "HTTP 400", now: 1001)
            try NotificationOutbox.finish(db, id: ids[2], state: .delivered, attempts: 1, error: nil, now: 1001)
            return ids
        }
        let rows = try await database.pool.read { db in try NotificationOutbox.list(db, alertID: 42, before: nil, limit: 10) }
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.notificationID, $0) })
        #expect(byID[ids[0]]?.state == .dropped)
        #expect(byID[ids[0]]?.lastError == "superseded")
        #expect(byID[ids[1]]?.state == .dropped)
        #expect(byID[ids[1]]?.lastError == "superseded")
        #expect(byID[ids[2]]?.state == .delivered)
        #expect(try await database.pool.read { db in try NotificationOutbox.nextDue(db) } == nil)
    }

    @Test("destination names are unique, trimmed and bounded; update and delete say when the id is unknown")
    func destinations() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let store = DestinationStore(database: database, clock: ManualWallClock(millis: 0))
        #expect(try DestinationStore.validName("  pager ") == "pager")
        #expect(throws: VigilError.self) { try DestinationStore.validName("   ") }
        #expect(throws: VigilError.self) { try DestinationStore.validName(String(repeating: "x", count: 257)) }
        #expect(throws: VigilError.self) { try DestinationStore.validName("a\nb") }
        let first = try await store.create(displayName: "pager", config: .slack(url: "https://x.example"), by: "admin")
        await #expect(throws: VigilError.self) { try await store.create(displayName: "pager", config: .slack(url: "https://x.example"), by: "admin") }
        let second = try await store.create(displayName: "other", config: .slack(url: "https://x.example"), by: "admin")
        await #expect(throws: VigilError.self) { try await store.update(id: second.id, displayName: "pager", by: "admin", config: nil) }
        await #expect(throws: VigilError.self) { try await store.update(id: "nope", displayName: "x", by: "admin", config: nil) }
        await #expect(throws: VigilError.self) { try await store.delete(id: "nope") }
        let renamed = try await store.update(id: first.id, displayName: "pager2", by: "bob", config: nil)
        #expect(renamed.updatedBy == "bob")
        #expect(try await store.list(after: nil, limit: 10).map(\.displayName) == ["other", "pager2"])
        #expect(try await store.list(after: "other", limit: 10).map(\.displayName) == ["pager2"])
    }

    @Test("a row whose notice cannot be read is marked failed with the reason, not left pending; a deleted destination's is dropped")
    func unreadable() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let clock = ManualWallClock(millis: 1_000_000)
        try await database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO notification_outbox(destination_id, alert_id, status, notice, state, attempts, next_attempt_time, created_time, group_key)
                VALUES ('gone', 1, 'firing', '{"not":"a notice"}', 'pending', 0, 0, 0, 'g'), ('gone', 2, 'firing', ?, 'pending', 0, 0, 0, 'h')
                """, arguments: [JSONWriter.text(of: NoticeRenderingTests.firing.json)])
        }
        let due = try await database.pool.read { db in try NotificationOutbox.due(db, now: 1_000_000, limit: 10) }
        #expect(due.items.map(\.alertID) == [2])
        #expect(due.unreadable == [1])
        let service = NotificationService(database: database, delivery: NotificationDelivery(smtp: nil, externalURL: { "http://vigil" }),
                                          clock: clock, logger: Logger(label: "test"))
        let client = NotificationDelivery.makeClient()
        await service.deliverDue(client: client)
        try await client.shutdown()
        let rows = try await database.pool.read { db in try NotificationOutbox.list(db, alertID: nil, before: nil, limit: 10) }
        #expect(rows.map(\.state) == [.dropped])
        let failed = try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT state, last_error FROM notification_outbox WHERE notification_id = 1").map { row -> [String?] in
                [row["state"], row["last_error"]]
            }
        }
        #expect(failed == ["failed", "the stored notice could not be read"])
        #expect(try await service.outboxCounts() == [.failed: 1, .dropped: 1])
    }
}
