import Testing
import VigilSQL
import VigilStore
@testable import VigilAPI

/// Kept statement results stay within their byte budget, and the count of kept bytes matches what is kept, even
/// when a result is closed between being published and being counted (two SQL threads finishing at once).
@Suite("Statement registry")
struct StatementRegistryTests {
    static func result(bytes: Int) -> Result<SQLResult, SQLError> {
        .success(SQLResult(columns: [], rows: [], truncated: false, byteCount: bytes))
    }

    @Test("past the byte budget the oldest results close; the kept bytes are those still held")
    func budget() {
        let registry = StatementRegistry(limits: .init(keptResultBytes: 250))
        let executions = (0..<3).map { StatementExecution(id: "s\($0)", ownerID: 1) }
        for (index, execution) in executions.enumerated() {
            registry.add(execution, now: Int64(index))
            execution.finish(Self.result(bytes: 100), at: Int64(index))
            registry.finished(execution, now: Int64(index))
        }
        #expect(executions.map(\.snapshot.state) == [.closed, .succeeded, .succeeded])
        #expect(registry.keptBytes == 200)
        #expect(registry.closedTotal == 1)
    }

    @Test("a result closed after it was published but before it was counted takes nothing off the kept bytes")
    func closedBeforeCounted() {
        let registry = StatementRegistry(limits: .init(keptResultBytes: 150))
        let executions = ["a", "b", "c"].map { StatementExecution(id: $0, ownerID: 1) }
        for execution in executions { registry.add(execution, now: 0) }
        executions[0].finish(Self.result(bytes: 100), at: 1)  // published; its thread has not reached `finished` yet
        for execution in executions[1...] {
            execution.finish(Self.result(bytes: 100), at: 1)
            registry.finished(execution, now: 1)  // the third passes the budget and closes `a`, then `b`
        }
        registry.finished(executions[0], now: 2)
        let held = executions.map(\.keptBytes).reduce(0, +)
        #expect(executions.map(\.snapshot.state) == [.closed, .closed, .succeeded])
        #expect(registry.keptBytes == held)
        #expect(held == 100)

        // The other order: a TTL expiry closes a published result before its thread counts it.
        let ttl = StatementRegistry(limits: .init(keptResultBytes: 1_000, resultTTLMillis: 10))
        let stale = StatementExecution(id: "stale", ownerID: 1)
        ttl.add(stale, now: 0)
        stale.finish(Self.result(bytes: 300), at: 0)
        #expect(ttl.find("other", now: 50) == nil)  // expires `stale`, not yet counted
        #expect(stale.snapshot.state == .closed)
        ttl.finished(stale, now: 51)
        #expect(ttl.keptBytes == 0)
    }
}
