import Foundation
import Logging
import Synchronization
import Testing
import VigilCore
import VigilStore
import VigilTesting
@testable import VigilAlerts

/// The detection service on a real SQLite file: evaluation goes on while a firing's audit waits (under heavy
/// ingest that audit commit is a whole batch of events away), and every stored firing is still audited, in order.
struct DetectionServiceTests {
    /// Holds `fired` until the test opens it, and records what `stored` and `fired` were told.
    final class Recorder: Sendable {
        struct State {
            var stored: [Int64] = []
            var fired: [Int64] = []
            var open = false
            var waiting: [CheckedContinuation<Void, Never>] = []
        }

        let state = Mutex(State())

        func store(_ records: [AlertRecord]) { state.withLock { $0.stored += records.map(\.alertID) } }

        func fire(_ records: [AlertRecord]) async {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.open { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
            state.withLock { $0.fired += records.map(\.alertID) }
        }

        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    static let rule = """
        title: Any request
        id: any-request
        level: low
        logsource: {product: vigil, service: audit}
        detection:
          selection:
            request_id|startswith: ServiceMain-
          condition: selection
        """

    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw VigilError(.internal, "timed out") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("a firing whose audit is still waiting does not hold up the next events' evaluation; both are audited in order")
    func evaluationDoesNotWaitForAudit() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let rules = folder.path + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        try Self.rule.write(toFile: rules + "/any.yml", atomically: true, encoding: .utf8)
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let recorder = Recorder()
        let service = DetectionService(
            store: DetectionStore(database: database, clock: ManualWallClock(millis: 1_000_000)),
            configuration: .init(rulesDirectory: rules), logger: Logger(label: "test"),
            stored: { recorder.store($0) }, fired: { await recorder.fire($0) })
        try await service.reload()
        #expect(service.loadedRules.count == 1)
        let event = { (n: Int) in CommittedEvent(seq: Int64(n), event: EventFixtures.event(n, endMillis: 1_000_000)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            // A failed wait must end the test, not leave the service stuck in a held audit.
            defer { recorder.open() }
            service.enqueue([event(0)])
            try await Self.waitUntil { recorder.state.withLock { $0.stored.count == 1 && $0.waiting.count == 1 } }
            // The first firing's audit is held; the next event is still evaluated and its firing stored and handed on.
            service.enqueue([event(1)])
            try await Self.waitUntil { recorder.state.withLock { $0.stored.count == 2 } }
            #expect(recorder.state.withLock(\.fired).isEmpty)
            recorder.open()
            try await Self.waitUntil { recorder.state.withLock { $0.fired.count == 2 } }
            let (stored, fired) = recorder.state.withLock { ($0.stored, $0.fired) }
            #expect(fired == stored, "every stored firing is audited, in the order stored")
            group.cancelAll()
        }
    }
}
