import Foundation
import GRDB
import Testing
import VigilCore
@testable import VigilStore
import VigilTesting

@Suite("Event store")
struct EventStoreTests {
    static let end: Int64 = 1_700_000_000_000

    @Test("a stored event reads back identical, canonical bytes included")
    func roundTrip() async throws {
        try await withDatabase { database in
            var event = EventFixtures.event(7, endMillis: Self.end)
            event.userIdentity = UserIdentity(email: nil, subjectName: nil)  // a struct of nulls is not a null struct
            event.requestParams = []
            let written = PreparedEvent(event, receivedMillis: Self.end)
            _ = try await database.pool.write { db in
                try Sequencer.write([[written]], in: db)
            }
            let stored = try #require(try await EventStore(database: database).event(id: event.eventID))
            #expect(stored.event.canonicalBytes() == event.canonicalBytes())
        }
    }

    @Test("the verifier's column-level canonical encoding equals the event's own, for awkward values too")
    func canonicalFromColumns() async throws {
        try await withDatabase { database in
            var events = (0..<20).map { EventFixtures.event($0, endMillis: Self.end) }
            events[1].userAgent = "tab\tnewline\n quote\" backslash\\ esc\u{1B}[2J del\u{7F} sep\u{2028} é 😀"
            events[2].userIdentity = UserIdentity(email: nil, subjectName: nil)
            events[3].userIdentity = nil
            events[3].response = nil
            events[4].requestParams = []
            events[5].requestParams = nil
            events[6].identityMetadata = IdentityMetadata(runBy: "a", runAs: nil, actingResource: "app\u{1}")
            events[7].response = EventResponse(statusCode: nil, errorMessage: "x", result: nil)
            events[8].eventTimeMillis = -1
            events[9].requestParams = [("z\"k", "{\"a\":[1,2]}"), ("a", "\u{1}")]
            let prepared = events.map { PreparedEvent($0, receivedMillis: Self.end) }
            let count = events.count
            _ = try await database.pool.write { db in try Sequencer.write([prepared], in: db) }
            try await database.pool.read { db in
                let rows = try Row.fetchAll(db, sql: "SELECT \(EventRow.selectColumns) FROM audit_events ORDER BY seq")
                #expect(rows.count == count)
                for (row, event) in zip(rows, prepared.map(\.event)) {
                    #expect(EventRow.canonicalBytes(row) == event.canonicalBytes(), "\(event.eventID)")
                }
            }
        }
    }

    @Test("pages walk every matching event once while new events keep arriving")
    func paginationUnderIngest() async throws {
        try await withDatabase { database in
            let initial = (0..<250).map { prepared($0, endMillis: Self.end) }
            _ = try await database.pool.write { db in try Sequencer.write([initial], in: db) }
            let store = EventStore(database: database)
            var seen: [Int64] = []
            var cursor: EventCursor?
            var page = 0
            repeat {
                let result = try await store.list(filter: EventFilter(), order: .descending, pageSize: 40, after: cursor)
                seen += result.events.map(\.seq)
                cursor = result.next
                // Between pages, events land both before and after the cursor's position in time.
                let late = (0..<10).map { prepared(10_000 + page * 10 + $0, endMillis: Self.end + Int64(page % 2 == 0 ? 5_000 : -400_000)) }
                _ = try await database.pool.write { db in try Sequencer.write([late], in: db) }
                page += 1
            } while cursor != nil
            #expect(seen.count == 250)
            #expect(Set(seen) == Set(0..<250))
        }
    }

    @Test("filters narrow the listing and a cursor is refused with other filters")
    func filtersAndCursorBinding() async throws {
        try await withDatabase { database in
            _ = try await database.pool.write { db in try Sequencer.write([(0..<100).map { prepared($0, endMillis: Self.end) }], in: db) }
            let store = EventStore(database: database)
            let byUser = try await store.list(filter: EventFilter(userEmail: "user3@example.com"), order: .ascending, pageSize: 100, after: nil)
            #expect(byUser.events.map(\.seq) == [3])
            let first = try await store.list(filter: EventFilter(), order: .ascending, pageSize: 10, after: nil)
            let cursor = try #require(first.next)
            await #expect(throws: VigilError.self) {
                _ = try await store.list(filter: EventFilter(serviceName: "jobs"), order: .ascending, pageSize: 10, after: cursor)
            }
        }
    }
}

@Suite("Tokens")
struct TokenStoreTests {
    @Test("tokens are stored only as hashes and authenticate until revoked or expired")
    func lifecycle() async throws {
        try await withDatabase { database in
            let clock = FixedWallClock(millis: 1_700_000_000_000)
            let (admin, _) = try await PrincipalStore(database: database, clock: clock).ensureAdmin()
            let tokens = TokenStore(database: database, clock: clock)
            let (secret, info) = try await tokens.create(for: admin, comment: "ci", lifetimeSeconds: 60)
            #expect(secret.revealedValue.hasPrefix("dapi") && secret.revealedValue.count == 36)
            #expect("\(secret)" == "<redacted>")
            #expect(try await tokens.authenticate(secret)?.0 == admin)
            #expect(try await tokens.authenticate(Secret("dapi" + String(repeating: "0", count: 32))) == nil)
            // The database file never holds the token text.
            let raw = try Data(contentsOf: URL(fileURLWithPath: database.path))
            let wal = (try? Data(contentsOf: URL(fileURLWithPath: database.path + "-wal"))) ?? Data()
            #expect(raw.range(of: Data(secret.revealedValue.utf8)) == nil && wal.range(of: Data(secret.revealedValue.utf8)) == nil)
            let later = TokenStore(database: database, clock: FixedWallClock(millis: clock.millis + 61_000))
            #expect(try await later.authenticate(secret) == nil)
            #expect(try await tokens.revoke(tokenID: info.tokenID, of: admin))
            #expect(try await tokens.authenticate(secret) == nil)
            #expect(try await tokens.revoke(tokenID: info.tokenID, of: admin) == false)
        }
    }
}
