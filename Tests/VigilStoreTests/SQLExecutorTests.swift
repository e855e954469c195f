import Foundation
import Glibc
import Synchronization
import Testing
import VigilStore

/// The SQL executor admits statements up to its threads plus its queue, and up to a per-principal share;
/// everything past that is refused at once, never piled up.
@Suite("SQL executor")
struct SQLExecutorTests {
    /// A job that blocks its statement thread until `release()`.
    final class Gate: Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private let started = Atomic<Int>(0)
        func job() -> @Sendable () -> Void {
            { [self] in
                started.add(1, ordering: .relaxed)
                semaphore.wait()
            }
        }
        var startedCount: Int { started.load(ordering: .relaxed) }
        func release(_ count: Int) { for _ in 0..<count { semaphore.signal() } }
    }

    static func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test("threads plus queue are admitted; the next statement is refused as queue_full; freed slots admit again")
    func queueBound() async throws {
        let executor = SQLExecutor(limits: .init(concurrency: 2, queueDepth: 3, perPrincipal: 100))
        let gate = Gate()
        for owner in 0..<5 { try executor.submit(owner: Int64(owner), gate.job()) }
        try await Self.waitUntil { gate.startedCount == 2 }
        #expect(executor.snapshot == .init(running: 2, queued: 3))
        #expect(throws: SQLExecutor.Refusal.queueFull(limit: 3)) { try executor.submit(owner: 9, gate.job()) }
        gate.release(1)
        try await Self.waitUntil { executor.snapshot == .init(running: 2, queued: 2) }
        try executor.submit(owner: 9, gate.job())
        gate.release(10)
        try await Self.waitUntil { executor.snapshot == .init(running: 0, queued: 0) }
        #expect(gate.startedCount == 6)
    }

    @Test("one principal may hold at most its share, running and queued together; others are still admitted")
    func perPrincipal() async throws {
        let executor = SQLExecutor(limits: .init(concurrency: 1, queueDepth: 10, perPrincipal: 2))
        let gate = Gate()
        try executor.submit(owner: 7, gate.job())
        try executor.submit(owner: 7, gate.job())
        #expect(throws: SQLExecutor.Refusal.principalBusy(limit: 2)) { try executor.submit(owner: 7, gate.job()) }
        try executor.submit(owner: 8, gate.job())
        gate.release(1)
        try await Self.waitUntil { gate.startedCount == 2 }
        // One of principal 7's statements finished: it may submit again.
        try executor.submit(owner: 7, gate.job())
        gate.release(10)
        try await Self.waitUntil { executor.snapshot == .init(running: 0, queued: 0) }
    }

    @Test("statements run on threads with a large stack, not on the caller's")
    func largeStack() async throws {
        let executor = SQLExecutor(limits: .init(concurrency: 1))
        let size: Int = await withCheckedContinuation { continuation in
            try? executor.submit(owner: 1) {
                continuation.resume(returning: Thread.current.stackSize)
            }
        }
        #expect(size >= SQLExecutor.stackBytes)
    }

    @Test("statement threads run at a lower priority (nice 10); the rest of the process keeps its own")
    func lowerPriority() async throws {
        let executor = SQLExecutor(limits: .init(concurrency: 1))
        let nice: Int32 = await withCheckedContinuation { continuation in
            try? executor.submit(owner: 1) { continuation.resume(returning: getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
        }
        #expect(nice == 10)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == 0)
    }

    @Test("after shutdown nothing is admitted")
    func shutdown() {
        let executor = SQLExecutor(limits: .init(concurrency: 1))
        executor.shutdown()
        #expect(throws: SQLExecutor.Refusal.shuttingDown) { try executor.submit(owner: 1) {} }
    }
}
