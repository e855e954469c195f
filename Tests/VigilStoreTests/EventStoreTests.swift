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
