import Foundation
import GRDB
import ServiceLifecycle
import Synchronization
import Testing
import VigilCore
@testable import VigilStore
import VigilTesting

/// Records the sequencer's commits so tests can see how submissions were grouped.
final class CommitLog: SequencerObserver, Sendable {
    let commits = Mutex<[(events: Int, submissions: Int)]>([])
    func sequencerDidCommit(events: Int, submissions: Int, duration: Duration, outcomes: [Sequencer.Outcome]) {
        commits.withLock { $0.append((events, submissions)) }
    }
}

/// A database in a temp folder, removed afterwards.
func withDatabase<T>(_ body: (VigilDatabase) async throws -> T) async throws -> T {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    return try await body(try VigilDatabase.open(dataDirectory: folder.path))
}

/// Runs `sequencer` in a service group for the duration of `body`, then shuts it down gracefully.
func running<T: Sendable>(_ sequencer: Sequencer, _ body: () async throws -> T) async throws -> T {
    let group = ServiceGroup(configuration: .init(services: [sequencer], logger: .init(label: "test")))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let result = try await body()
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return result
    }
}

func prepared(_ n: Int, eventID: String? = nil, endMillis: Int64 = 1_700_000_000_000) -> PreparedEvent {
    PreparedEvent(EventFixtures.event(n, endMillis: endMillis, eventID: eventID), receivedMillis: endMillis)
}

@Suite("Sequencer")
struct SequencerTests {
    @Test("submissions queued before a commit share one transaction and get dense, distinct seqs")
    func groupCommit() async throws {
        try await withDatabase { database in
            let log = CommitLog()
            let sequencer = Sequencer(database: database, observer: log)
            // Queue 20 submissions before the loop runs: they must be written by a single commit.
            let outcomes = try await withThrowingTaskGroup(of: Sequencer.Outcome.self) { tasks in
                for submission in 0..<20 {
                    tasks.addTask { try await sequencer.submit((0..<5).map { prepared(submission * 5 + $0) }) }
                }
                while sequencer.queuedEvents < 100 { await Task.yield() }
                return try await running(sequencer) {
                    var all: [Sequencer.Outcome] = []
                    for try await outcome in tasks { all.append(outcome) }
                    return all
                }
            }
            let seqs = outcomes.flatMap { outcome -> [Int64] in
                guard case .stored(let events) = outcome else { return [] }
                return events.map(\.seq)
            }
            #expect(seqs.sorted() == Array(0..<100))
            #expect(log.commits.withLock { $0.map(\.submissions) } == [20])
            #expect(try await EventStore(database: database).count() == 100)
        }
    }

    @Test("the same event again returns its original seq and is counted as a duplicate")
    func idempotentRetry() async throws {
        try await withDatabase { database in
            let sequencer = Sequencer(database: database)
            try await running(sequencer) {
                let first = try await sequencer.submit([prepared(1), prepared(2)])
                let again = try await sequencer.submit([prepared(2), prepared(3)])
                #expect(first == .stored([.init(eventID: prepared(1).event.eventID, seq: 0, duplicate: false),
                                          .init(eventID: prepared(2).event.eventID, seq: 1, duplicate: false)]))
                #expect(again == .stored([.init(eventID: prepared(2).event.eventID, seq: 1, duplicate: true),
                                          .init(eventID: prepared(3).event.eventID, seq: 2, duplicate: false)]))
            }
        }
    }

    @Test("a conflicting event_id rolls back only its own submission, not others in the same batch")
    func conflictIsIsolated() async throws {
        try await withDatabase { database in
            _ = try await database.pool.write { db in try Sequencer.write([[prepared(1, eventID: "dup")]], in: db) }
            let outcomes = try await database.pool.write { db in
                try Sequencer.write([[prepared(10), prepared(2, eventID: "dup")], [prepared(11)]], in: db)
            }
            #expect(outcomes[0] == .conflict(eventID: "dup", existingSeq: 0))
            #expect(outcomes[1] == .stored([.init(eventID: prepared(11).event.eventID, seq: 1, duplicate: false)]))
            let stored = try await EventStore(database: database).count()
            #expect(stored == 2)
            #expect(try await EventStore(database: database).event(id: prepared(10).event.eventID) == nil)
        }
    }

    @Test("a full queue refuses at once with overloaded and stores nothing")
    func boundedQueue() async throws {
        try await withDatabase { database in
            let sequencer = Sequencer(database: database, configuration: .init(maxQueuedEvents: 10))
            await #expect {
                _ = try await sequencer.submit((0..<11).map { prepared($0) })
            } throws: { error in
                (error as? VigilError)?.code == .overloaded && (error as? VigilError)?.retryAfterSeconds == 1
            }
            #expect(sequencer.queuedEvents == 0)
        }
    }

    @Test("graceful shutdown writes everything already queued before returning")
    func drainsOnShutdown() async throws {
        try await withDatabase { database in
            let sequencer = Sequencer(database: database)
            let group = ServiceGroup(configuration: .init(services: [sequencer], logger: .init(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for n in 0..<50 { tasks.addTask { _ = try await sequencer.submit([prepared(n)]) } }
                while sequencer.queuedEvents < 50 { await Task.yield() }
                tasks.addTask { try await group.run() }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(try await EventStore(database: database).count() == 50)
            await #expect(throws: VigilError.self) { _ = try await sequencer.submit([prepared(99)]) }
        }
    }
}
