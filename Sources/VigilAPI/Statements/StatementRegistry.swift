import Synchronization

/// Statements by id, for GET and cancel, with their results kept in bounded memory: results are dropped (the
/// statement answers CLOSED, as Databricks does for an expired result) once they are older than `resultTTL`, or,
/// oldest first, when all kept results together pass `keptResultBytes`. The registry itself holds at most
/// `maxStatements` entries; past that the oldest finished ones are forgotten (GET answers 404).
public final class StatementRegistry: Sendable {
    public struct Limits: Sendable {
        public var keptResultBytes: Int
        public var resultTTLMillis: Int64
        public var maxStatements: Int

        public init(keptResultBytes: Int = 256 << 20, resultTTLMillis: Int64 = 3_600_000, maxStatements: Int = 10_000) {
            self.keptResultBytes = max(0, keptResultBytes)
            self.resultTTLMillis = max(0, resultTTLMillis)
            self.maxStatements = max(1, maxStatements)
        }
    }

    private struct Entries {
        var list: [StatementExecution] = []
        var keptBytes = 0
        var closedTotal = 0
        /// Results counted in `keptBytes`. A statement publishes its result before `finished` counts it, so another
        /// thread may close it in between: only counted bytes are taken off again.
        var accounted: Set<ObjectIdentifier> = []

        mutating func close(_ execution: StatementExecution) {
            let freed = execution.close()
            if accounted.remove(ObjectIdentifier(execution)) != nil { keptBytes -= freed }
        }
    }

    public let limits: Limits
    private let entries = Mutex(Entries())
    /// Told how many results were just dropped (metrics).
    private let closed: @Sendable (Int) -> Void

    public init(limits: Limits = Limits(), closed: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.limits = limits
        self.closed = closed
    }

    /// Bytes held by kept results now.
    public var keptBytes: Int { entries.withLock(\.keptBytes) }
    /// Results dropped so far (by age or by the byte budget).
    public var closedTotal: Int { entries.withLock(\.closedTotal) }

    func add(_ execution: StatementExecution, now: Int64) {
        report { entries in
            expire(&entries, now: now)
            entries.list.append(execution)
            while entries.list.count > limits.maxStatements {
                let index = entries.list.firstIndex { $0.finishedAt != nil } ?? 0
                entries.close(entries.list[index])
                entries.list.remove(at: index)
            }
        }
    }

    /// Forgets a statement that was never admitted.
    func remove(_ execution: StatementExecution) {
        entries.withLock { entries in
            entries.list.removeAll { $0 === execution }
            entries.accounted.remove(ObjectIdentifier(execution))
        }
    }

    /// Accounts a finished statement's result and drops the oldest kept results past the byte budget (this one
    /// included, when it alone is larger than the budget).
    func finished(_ execution: StatementExecution, now: Int64) {
        report { entries in
            guard entries.list.contains(where: { $0 === execution }) else {
                execution.close()
                return
            }
            if entries.accounted.insert(ObjectIdentifier(execution)).inserted { entries.keptBytes += execution.keptBytes }
            expire(&entries, now: now)
            for candidate in entries.list where entries.keptBytes > limits.keptResultBytes && candidate.keptBytes > 0 {
                entries.close(candidate)
                entries.closedTotal += 1
            }
        }
    }

    func find(_ id: String, now: Int64) -> StatementExecution? {
        report { entries in
            expire(&entries, now: now)
            return entries.list.first { $0.id == id }
        }
    }

    /// Runs `body` under the lock and reports the results it closed.
    private func report<T>(_ body: (inout Entries) -> T) -> T {
        let (value, count) = entries.withLock { entries -> (T, Int) in
            let before = entries.closedTotal
            let value = body(&entries)
            return (value, entries.closedTotal - before)
        }
        if count > 0 { closed(count) }
        return value
    }

    /// Closes results older than the time to live.
    private func expire(_ entries: inout Entries, now: Int64) {
        for execution in entries.list {
            guard let finishedAt = execution.finishedAt, now - finishedAt >= limits.resultTTLMillis,
                execution.snapshot.state != .closed
            else { continue }
            entries.close(execution)
            entries.closedTotal += 1
        }
    }
}
