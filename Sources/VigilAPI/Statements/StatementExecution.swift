import Synchronization
import VigilSQL
import VigilStore

/// One statement of the Statement Execution API, from submission to its result. Handlers wait on it for at
/// most `wait_timeout`; a statement still running afterwards is polled with GET or stopped with cancel.
public final class StatementExecution: Sendable {
    public enum State: String, Sendable {
        case pending = "PENDING", running = "RUNNING", succeeded = "SUCCEEDED", failed = "FAILED", canceled = "CANCELED"
    }

    public let id: String
    /// The principal that submitted it: only they may read its result or cancel it.
    public let ownerID: Int64
    public let cancellation = StatementCancellation()
    private let state = Mutex<(State, Result<SQLResult, SQLError>?, [Waiter])>((.running, nil, []))

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
        state.withLock { ($0.0, $0.1) }
    }

    /// Records the outcome and wakes every waiter.
    func finish(_ outcome: Result<SQLResult, SQLError>) {
        let waiters = state.withLock { current -> [Waiter] in
            guard current.1 == nil else { return [] }
            switch outcome {
            case .success: current.0 = .succeeded
            case .failure(let error): current.0 = error.code == .canceled ? .canceled : .failed
            }
            current.1 = outcome
            let waiters = current.2
            current.2 = []
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
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
                let resumeNow = state.withLock { current -> Bool in
                    if current.1 != nil || Task.isCancelled { return true }
                    current.2.append(Waiter(id: id, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { current -> Waiter? in
                guard let index = current.2.firstIndex(where: { $0.id == id }) else { return nil }
                return current.2.remove(at: index)
            }
            waiter?.continuation.resume()
        }
    }
}

/// Statements by id, for GET and cancel. Bounded: the oldest finished statements are forgotten first.
public final class StatementRegistry: Sendable {
    private let statements = Mutex<[(id: String, execution: StatementExecution)]>([])
    private let capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = capacity
    }

    func add(_ execution: StatementExecution) {
        statements.withLock { list in
            list.append((execution.id, execution))
            while list.count > capacity {
                if let index = list.firstIndex(where: { $0.execution.snapshot.outcome != nil }) {
                    list.remove(at: index)
                } else {
                    list.removeFirst()
                }
            }
        }
    }

    func find(_ id: String) -> StatementExecution? {
        statements.withLock { list in list.first { $0.id == id }?.execution }
    }
}
