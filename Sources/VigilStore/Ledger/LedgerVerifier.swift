import Foundation
import GRDB
import VigilCore
import Synchronization
import VigilLedger

/// Re-derives the ledger from the stored events and checks it against the stored leaves and the signed
/// checkpoints, in the manner of `aws cloudtrail validate-logs`.
///
/// Three independent records are compared: the events (rehashed from their canonical bytes), the leaf
/// hashes in `ledger_leaves` (written with the events), and the signed checkpoints (which commit to the
/// leaves). An edited event no longer matches its leaf; a deleted or forged row leaves a leaf without an
/// event or an event without a leaf; swapped rows match each other's leaves; and edited leaves no longer
/// reproduce the signed roots. Read-only throughout.
public struct LedgerVerifier: Sendable {
    public let database: VigilDatabase
    /// Keys whose signatures are trusted (from `<data-dir>/keys/*.pub` or given by the auditor).
    public let keys: [NoteKey]

    public init(database: VigilDatabase, keys: [NoteKey]) {
        self.database = database
        self.keys = keys
    }

    /// What one worker found in its range of seqs.
    struct Findings: Sendable {
        var mismatches: [(seq: UInt64, recomputed: MerkleHash, stored: MerkleHash)] = []
        var missing: [UInt64] = []
        var inserted: [UInt64] = []
    }

    /// Runs the whole check. `progress(done, total)` is called every few thousand leaves.
    ///
    /// Rehashing the events is the costly part and runs on every core, one seq range per worker; the tree
    /// over the stored leaves (one hash per leaf) is then rebuilt in a single ordered pass.
    public func verify(progress: @escaping @Sendable (UInt64, UInt64) -> Void = { _, _ in }) async throws -> VerificationReport {
        let (leafTotal, eventTotal) = try await database.pool.read { db in
            (UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq) + 1, 0) FROM ledger_leaves") ?? 0),
             UInt64(try Int64.fetchOne(db, sql: "SELECT coalesce(max(seq) + 1, 0) FROM audit_events") ?? 0))
        }
        let total = max(leafTotal, eventTotal)
        let workers = UInt64(max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)))
        let chunk = max(1, (total + workers - 1) / workers)
        let done = ProgressCounter()
        let findings = try await withThrowingTaskGroup(of: Findings.self) { group in
            for start in stride(from: UInt64(0), to: total, by: Int(chunk)) {
                let range = start..<min(start + chunk, total)
                group.addTask {
                    try await database.pool.read { db in
                        try Self.compare(range, db) { count in
                            progress(done.add(count), total)
                        }
                    }
                }
            }
            var merged = Findings()
            for try await part in group {
                merged.mismatches += part.mismatches
                merged.missing += part.missing
                merged.inserted += part.inserted
            }
            merged.mismatches.sort { $0.seq < $1.seq }
            return merged
        }
        progress(total, total)
        return try await database.pool.read { db in
            try finish(db, findings: findings, leafTotal: leafTotal, total: total)
        }
    }

    /// Rehashes the events of `range` and compares them with their stored leaves.
    static func compare(_ range: Range<UInt64>, _ db: Database, progress: (UInt64) -> Void) throws -> Findings {
        var findings = Findings()
        let bounds: StatementArguments = [Int64(range.lowerBound), Int64(range.upperBound)]
        // `event_date` is stored for queries but derived from `event_time`, so it is outside the canonical
        // bytes: check it separately, or an edited date would change query results unnoticed.
        let events = try Row.fetchCursor(db, sql: """
            SELECT \(EventRow.selectColumns), event_date FROM audit_events WHERE seq >= ? AND seq < ? ORDER BY seq
            """, arguments: bounds)
        let leaves = try Row.fetchCursor(db, sql: "SELECT seq, leaf_hash FROM ledger_leaves WHERE seq >= ? AND seq < ? ORDER BY seq",
                                         arguments: bounds)
        var nextEvent = try events.next()
        var nextLeaf = try leaves.next()
        var sinceReport: UInt64 = 0
        for seq in range {
            let event = nextEvent.map { UInt64($0[0] as Int64) } == seq ? nextEvent : nil
            let leaf: MerkleHash? = nextLeaf.map { UInt64($0[0] as Int64) } == seq ? nextLeaf.map { [UInt8]($0[1] as Data) } : nil
            switch (event, leaf) {
            case (let row?, let stored?):
                let recomputed = EventRow.expectedLeafHash(row, eventDateColumn: 24)
                if recomputed != stored { findings.mismatches.append((seq, recomputed, stored)) }
            case (nil, _?), (nil, nil): findings.missing.append(seq)
            case (_?, nil): findings.inserted.append(seq)
            }
            if event != nil { nextEvent = try events.next() }
            if leaf != nil { nextLeaf = try leaves.next() }
            sinceReport += 1
            if sinceReport == 16_384 {
                progress(sinceReport)
                sinceReport = 0
            }
        }
        return findings
    }

    private func finish(_ db: Database, findings: Findings, leafTotal: UInt64, total: UInt64) throws -> VerificationReport {
        var report = VerificationReport()
        report.leafCount = total
        let mismatches = findings.mismatches
        let missing = findings.missing
        let inserted = findings.inserted

        // The tree over the stored leaves, with its root at every checkpointed size.
        let checkpoints = try Row.fetchAll(db, sql: "SELECT id, tree_size, note FROM checkpoints ORDER BY id")
        let checkpointSizes = Set(checkpoints.map { UInt64($0["tree_size"] as Int64) })
        var tree = CompactRange()
        var roots: [UInt64: MerkleHash] = [0: MerkleHasher.emptyRoot]
        var treeBroken: UInt64?  // first seq where the stored leaves have a gap
        let leaves = try Row.fetchCursor(db, sql: "SELECT seq, leaf_hash FROM ledger_leaves WHERE seq < ? ORDER BY seq",
                                         arguments: [Int64(leafTotal)])
        while let row = try leaves.next() {
            guard UInt64(row[0] as Int64) == tree.size else {
                treeBroken = tree.size
                break
            }
            tree.append([UInt8](row[1] as Data))
            if checkpointSizes.contains(tree.size) { roots[tree.size] = tree.root() }
        }

        // Classify mismatches: two events that hash to each other's leaves were swapped.
        var byStoredLeaf: [MerkleHash: UInt64] = [:]
        for mismatch in mismatches { byStoredLeaf[mismatch.stored] = mismatch.seq }
        var reported = Set<UInt64>()
        var modified: [UInt64] = []
        for mismatch in mismatches where !reported.contains(mismatch.seq) {
            if let other = byStoredLeaf[mismatch.recomputed], other != mismatch.seq {
                reported.formUnion([mismatch.seq, other])
                report.problems.append(.init(kind: .reordered, range: min(mismatch.seq, other)...max(mismatch.seq, other),
                                             detail: "events at seq \(min(mismatch.seq, other)) and \(max(mismatch.seq, other)) hold each other's content"))
            } else {
                modified.append(mismatch.seq)
            }
        }
        report.problems += Self.ranges(of: modified, kind: .modified, detail: "the event's content does not match its ledger leaf")
        report.problems += Self.ranges(of: missing, kind: .missing, detail: "the ledger has a leaf but the event is gone")
        report.problems += Self.ranges(of: inserted, kind: .inserted, detail: "an event the ledger never recorded")
        let leafProblems = Set(mismatches.map(\.seq)).union(missing).union(inserted)
        report.invalidLeafCount = UInt64(leafProblems.count)

        // Pass 2: checkpoints — signature, root against the stored leaves, order.
        report.checkpointCount = checkpoints.count
        var previous: Checkpoint?
        for row in checkpoints {
            let note: String = row["note"]
            let label = "checkpoint \(row["id"] as Int64)"
            var body: String?
            for key in keys { if let verified = try? key.verify(note: note) { body = verified; break } }
            guard let body, let checkpoint = try? Checkpoint(body: body) else {
                report.invalidCheckpointCount += 1
                let size = UInt64(row["tree_size"] as Int64)
                report.problems.append(.init(kind: .badSignature, range: Self.span(0, size),
                                             detail: "\(label) (tree size \(size)) is not signed by any trusted key"))
                report.checkpointLines.append("\(label): INVALID: bad signature")
                continue
            }
            let range = Self.span(previous?.size ?? 0, checkpoint.size)
            var problem: String?
            if let previous, checkpoint.size < previous.size || checkpoint.timestampMillis <= previous.timestampMillis {
                problem = "tree size or timestamp went backwards after the previous checkpoint"
            } else if checkpoint.size > leafTotal {
                problem = "signed tree size \(checkpoint.size) but the ledger has only \(leafTotal) leaves"
                report.problems.append(.init(kind: .missing, range: leafTotal...(checkpoint.size - 1),
                                             detail: "leaves signed by \(label) are gone"))
            } else if let root = roots[checkpoint.size], root != checkpoint.root {
                // If leaf-level problems already explain the difference they are reported above; otherwise the
                // leaves themselves were rewritten.
                if !leafProblems.contains(where: { $0 < checkpoint.size }) {
                    problem = "signed root differs from the root of the stored leaves: leaves in this range were rewritten"
                }
            } else if roots[checkpoint.size] == nil {
                problem = "the stored leaves are broken before tree size \(checkpoint.size) (seq \(treeBroken ?? 0))"
            }
            if let problem {
                report.invalidCheckpointCount += 1
                if !problem.hasPrefix("signed tree size") {
                    report.problems.append(.init(kind: .inconsistentCheckpoints, range: range, detail: "\(label): \(problem)"))
                }
                report.checkpointLines.append("\(label) (tree size \(checkpoint.size)): INVALID: \(problem)")
            } else {
                report.coveredSize = max(report.coveredSize, checkpoint.size)
                report.checkpointLines.append("\(label) (tree size \(checkpoint.size), \(Timestamp.formatRFC3339(millis: checkpoint.timestampMillis))): valid")
            }
            previous = checkpoint
        }

        // The running tree state must match the leaves it summarises.
        if treeBroken == nil, let state = try? LedgerState.load(db), state.size == tree.size, state.root() != tree.root() {
            report.problems.append(.init(kind: .inconsistentCheckpoints, range: Self.span(0, tree.size),
                                         detail: "the stored tree state does not match the stored leaves"))
        }
        report.problems.sort { ($0.range.lowerBound, $0.kind.rawValue) < ($1.range.lowerBound, $1.kind.rawValue) }
        return report
    }

    /// The seqs [start, end) as a closed range; an empty span is reported as its start alone.
    public static func span(_ start: UInt64, _ end: UInt64) -> ClosedRange<UInt64> {
        end > start ? start...(end - 1) : start...start
    }

    /// Consecutive seqs of one kind become one problem.
    public static func ranges(of seqs: [UInt64], kind: VerificationReport.Kind, detail: String) -> [VerificationReport.Problem] {
        var problems: [VerificationReport.Problem] = []
        for seq in seqs.sorted() {
            if let last = problems.last, last.range.upperBound + 1 == seq {
                problems[problems.count - 1] = .init(kind: kind, range: last.range.lowerBound...seq, detail: detail)
            } else {
                problems.append(.init(kind: kind, range: seq...seq, detail: detail))
            }
        }
        return problems
    }
}

/// Leaves rehashed so far, summed across the verifier's workers.
final class ProgressCounter: Sendable {
    private let count = Mutex<UInt64>(0)

    func add(_ amount: UInt64) -> UInt64 {
        count.withLock { $0 += amount; return $0 }
    }
}
