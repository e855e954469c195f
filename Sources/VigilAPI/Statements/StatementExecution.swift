import Synchronization
import VigilSQL
import VigilStore

/// One statement of the Statement Execution API, from submission to its result. Handlers wait on it for at
/// most `wait_timeout`; a statement still running afterwards is polled with GET or stopped with cancel.
public final class StatementExecution: Sendable {
    public enum State: String, Sendable {
        /// Queued for a statement thread.
        case pending = "PENDING"
        case running = "RUNNING", succeeded = "SUCCEEDED", failed = "FAILED", canceled = "CANCELED"
        /// Finished, and its result is no longer kept (past the results' time to live or byte budget).
        case closed = "CLOSED"
    }

    public let id: String
    /// The principal that submitted it: only they may read its result or cancel it.
    public let ownerID: Int64
    public let cancellation = StatementCancellation()

    private struct Status {
        var state: State = .pending
        var outcome: Result<SQLResult, SQLError>?
        var waiters: [Waiter] = []
        /// When it finished (milliseconds since the epoch), for the results' time to live.
        var finishedAt: Int64?
    }

    private let status = Mutex(Status())

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Void, Never>
    }
    private let waiterCounter = Atomic<Int>(0)

    public init(id: String, ownerID: Int64) {
        self.id = id
        self.ownerID = ownerID
    }

    public var snapshot: (state: State, outcome: Result<SQLResult, SQLError>?) {
        status.withLock { ($0.state, $0.outcome) }
    }

    var finishedAt: Int64? { status.withLock(\.finishedAt) }

    /// The bytes its kept result holds (0 until it succeeds, and once it is closed).
    var keptBytes: Int {
        status.withLock { status in
            if case .success(let result)? = status.outcome { return result.byteCount }
            return 0
        }
    }

    /// A statement thread took it.
    func markRunning() {
        status.withLock { status in
            if status.state == .pending { status.state = .running }
        }
    }

    /// Records the outcome and wakes every waiter.
    func finish(_ outcome: Result<SQLResult, SQLError>, at now: Int64) {
        let waiters = status.withLock { status -> [Waiter] in
            guard status.outcome == nil, status.state != .closed else { return [] }
            switch outcome {
            case .success: status.state = .succeeded
            case .failure(let error): status.state = error.code == .canceled ? .canceled : .failed
            }
            status.outcome = outcome
            status.finishedAt = now
            let waiters = status.waiters
            status.waiters = []
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Drops a finished statement's result: it answers CLOSED from now on. Returns the bytes freed.
    @discardableResult
    func close() -> Int {
        status.withLock { status in
            guard status.finishedAt != nil, status.state != .closed else { return 0 }
            var freed = 0
            if case .success(let result)? = status.outcome { freed = result.byteCount }
            status.state = .closed
            status.outcome = nil
            return freed
        }
    }

    /// Waits until the statement finishes or `timeout` passes, whichever comes first.
    func wait(upTo timeout: Duration) async {
        if snapshot.outcome != nil || timeout <= .zero { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.completion() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func completion() async {
        let id = waiterCounter.add(1, ordering: .relaxed).newValue
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = status.withLock { status -> Bool in
                    if status.outcome != nil || status.state == .closed || Task.isCancelled { return true }
                    status.waiters.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = status.withLock { status -> Waiter? in
                guard let index = status.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return status.waiters.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }
}
