import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The bounded executor SQL statements run on, apart from request handling and the sequencer.
///
/// A statement is blocking C work (SQLite) that can take seconds. Run on Swift's cooperative pool (two threads
/// on a two-core machine) two heavy statements would stall every request and the sequencer with them, so
/// statements run here instead: on `concurrency` dedicated threads, each with a large stack (compiling walks the
/// statement's tree recursively), behind a bounded queue. Admission is decided at submission: past the queue
/// bound, or past `perPrincipal` statements queued or running for one principal, a statement is refused (the
/// API answers 429) rather than piling up.
public final class SQLExecutor: Sendable {
    public struct Limits: Sendable {
        /// Statements running at once; one fewer than the cores by default, so ingest always has a core.
        public var concurrency: Int
        /// Statements waiting for a thread; past it new statements are refused.
        public var queueDepth: Int
        /// Statements one principal may have queued or running at once.
        public var perPrincipal: Int

        public init(
            concurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1), queueDepth: Int = 32, perPrincipal: Int = 4
        ) {
            self.concurrency = max(1, concurrency)
            self.queueDepth = max(0, queueDepth)
            self.perPrincipal = max(1, perPrincipal)
        }
    }

    /// Why a statement was not admitted.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case principalBusy(limit: Int)
        case queueFull(limit: Int)
        case shuttingDown

        public var description: String {
            switch self {
            case .principalBusy(let limit):
                "you already have \(limit) statements queued or running, the most one principal may have; wait for one to finish or cancel one"
            case .queueFull(let limit):
                "the SQL executor is busy: \(limit) statements are already waiting; retry later"
            case .shuttingDown: "the server is shutting down"
            }
        }
    }

    /// Admission counts, for tests and metrics.
    public struct Snapshot: Sendable, Equatable {
        public var running: Int
        public var queued: Int

        public init(running: Int, queued: Int) {
            self.running = running
            self.queued = queued
        }
    }

    public let limits: Limits
    /// The stack of each statement thread: compiling and running a statement at the parser's nesting limits
    /// recurses deeply; 64 MiB is reserved address space, touched only as deep as a statement goes.
    public static let stackBytes = 64 << 20

    /// What the threads share; the threads hold it, not the executor, so dropping the executor stops them.
    private let core: Core

    public init(limits: Limits = Limits()) {
        self.limits = limits
        core = Core(limits: limits)
        for index in 0..<limits.concurrency {
            let core = core
            let thread = Thread {
                Core.lowerPriority()
                core.workLoop()
            }
            thread.name = "vigil-sql-\(index)"
            thread.stackSize = Self.stackBytes
            thread.start()
        }
    }

    deinit {
        core.shutdown()
    }

    /// Queues `work` for `owner`, or refuses it. `work` runs on a statement thread; it must not block on the
    /// async executor.
    public func submit(owner: Int64, _ work: @escaping @Sendable () -> Void) throws(Refusal) {
        try core.submit(owner: owner, work)
    }

    public var snapshot: Snapshot { core.snapshot }

    /// Stops taking statements; threads finish what they run and exit when the queue is empty.
    public func shutdown() { core.shutdown() }
}

private final class Core: Sendable {
    struct Job {
        var owner: Int64
        var work: @Sendable () -> Void
    }

    struct State {
        var queue: [Job] = []
        var running = 0
        var perOwner: [Int64: Int] = [:]
        var stopped = false
    }

    let limits: SQLExecutor.Limits
    private let state = Mutex(State())
    private let condition = NSCondition()

    init(limits: SQLExecutor.Limits) {
        self.limits = limits
    }

    func submit(owner: Int64, _ work: @escaping @Sendable () -> Void) throws(SQLExecutor.Refusal) {
        let limits = limits
        let refusal: SQLExecutor.Refusal? = state.withLock { state in
            if state.stopped { return .shuttingDown }
            if state.perOwner[owner, default: 0] >= limits.perPrincipal { return .principalBusy(limit: limits.perPrincipal) }
            // A free thread takes the job at once; otherwise it waits in the bounded queue.
            if state.queue.count + state.running >= limits.concurrency + limits.queueDepth { return .queueFull(limit: limits.queueDepth) }
            state.perOwner[owner, default: 0] += 1
            state.queue.append(Job(owner: owner, work: work))
            return nil
        }
        if let refusal { throw refusal }
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    var snapshot: SQLExecutor.Snapshot {
        state.withLock { SQLExecutor.Snapshot(running: $0.running, queued: $0.queue.count) }
    }

    func shutdown() {
        state.withLock { $0.stopped = true }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Statement threads run at nice 10: when they compete with request handling and the sequencer for a core
    /// they get about a tenth of it, and when the machine is otherwise idle they still use all of it. (On Linux
    /// the nice value is per thread, and SQLite's sorter threads inherit it.)
    static func lowerPriority() {
        #if os(Linux)
        // `who` 0 is the calling thread on Linux (setpriority(2), NOTES), not the whole process.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    func workLoop() {
        while true {
            guard let job = nextJob() else { return }
            job.work()
            state.withLock { state in
                state.running -= 1
                let left = state.perOwner[job.owner, default: 1] - 1
                state.perOwner[job.owner] = left > 0 ? left : nil
            }
        }
    }

    /// Blocks until a job is queued (nil once stopped and drained).
    private func nextJob() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let taken: Job?? = state.withLock { state in
                if !state.queue.isEmpty {
                    state.running += 1
                    return .some(state.queue.removeFirst())
                }
                return state.stopped ? .some(nil) : nil
            }
            if let taken { return taken }
            condition.wait()
        }
    }
}
