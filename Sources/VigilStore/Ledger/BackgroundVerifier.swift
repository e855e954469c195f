import Foundation
import GRDB
import Logging
import ServiceLifecycle
import VigilCore
import VigilLedger

/// Re-verifies the ledger in the background: every `interval` it takes the leaves added since its last
/// pass up to the newest checkpoint, rehashes their events, extends its own copy of the tree with the
/// stored leaves and compares the root with the signed one. Work per pass is proportional to what is new.
/// A mismatch is handed to `onProblem` (which audits it and sets the metric) and logged at error level.
public actor BackgroundVerifier: Service {
    private let database: VigilDatabase
    private let interval: Duration
    private let onProblem: @Sendable (VerificationReport.Problem) async -> Void
    private let logger: Logger
    private var tree = CompactRange()
    private var failed = false

    public init(database: VigilDatabase, interval: Duration = .seconds(300), logger: Logger = Logger(label: "vigil.verifier"),
                onProblem: @escaping @Sendable (VerificationReport.Problem) async -> Void) {
        self.database = database
        self.interval = interval
        self.logger = logger
        self.onProblem = onProblem
    }

    /// Leaves verified so far.
    public var verifiedSize: UInt64 { tree.size }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                _ = try await verifyNewRange()
            } catch {
                logger.error("Background ledger verification could not run", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Verifies [verifiedSize, newest checkpoint size) and returns the problems found (empty when valid).
    @discardableResult
    public func verifyNewRange() async throws -> [VerificationReport.Problem] {
        guard !failed else { return [] }  // after a failure the operator must run vigil verify; don't repeat alarms
        let start = tree.size
        let (problems, extended) = try await database.pool.read { [tree] db -> ([VerificationReport.Problem], CompactRange) in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1") else { return ([], tree) }
            let checkpoint = try LedgerStore.decodeCheckpoint(row)
            guard checkpoint.checkpoint.size > start else { return ([], tree) }
            var tree = tree
            var problems: [VerificationReport.Problem] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT l.seq, l.leaf_hash, \(EventRow.selectColumns(qualifiedBy: "e")), e.event_date FROM ledger_leaves l
                LEFT JOIN audit_events e ON e.seq = l.seq WHERE l.seq >= ? AND l.seq < ? ORDER BY l.seq
                """, arguments: [Int64(start), Int64(checkpoint.checkpoint.size)])
            while let row = try rows.next() {
                let seq = UInt64(row[0] as Int64)
                guard seq == tree.size else {
                    problems.append(.init(kind: .missing, range: tree.size...seq, detail: "ledger leaves are missing"))
                    return (problems, tree)
                }
                let stored = [UInt8](row[1] as Data)
                if row[2] as Int64? == nil {
                    problems.append(.init(kind: .missing, range: seq...seq, detail: "the ledger has a leaf but the event is gone"))
                } else if EventRow.expectedLeafHash(row, offset: 2, eventDateColumn: 26) != stored {
                    problems.append(.init(kind: .modified, range: seq...seq, detail: "the event's content does not match its ledger leaf"))
                }
                tree.append(stored)
            }
            if tree.size == checkpoint.checkpoint.size, tree.root() != checkpoint.checkpoint.root {
                problems.append(.init(kind: .inconsistentCheckpoints, range: start...(tree.size - 1),
                                      detail: "the stored leaves do not reproduce the root signed at tree size \(tree.size)"))
            }
            return (problems, tree)
        }
        tree = extended
        if !problems.isEmpty {
            failed = true
            for problem in problems {
                logger.error("Audit ledger verification failed; run vigil verify", metadata: ["problem": "\(problem)"])
                await onProblem(problem)
            }
        }
        return problems
    }
}
