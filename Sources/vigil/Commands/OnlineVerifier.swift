import Foundation
import VigilCore
import VigilLedger
import VigilStore

/// `vigil verify --online`: checks a running server's ledger from its API alone, as an outside auditor
/// would. It fetches the newest checkpoint and checks its signature, pages through every event with
/// `include=ledger`, rehashes each from the JSON it was served, rebuilds the tree from the served leaves,
/// and compares the root with the signed one.
struct OnlineVerifier {
    let client: VigilClient
    let pinnedKeys: [NoteKey]

    func verify(progress: (UInt64, UInt64) -> Void) async throws -> (VerificationReport, usedServerKeys: Bool) {
        var keys = pinnedKeys
        if keys.isEmpty {
            if case .array(let list)? = try await client.call(.GET, "/api/2.0/vigil/ledger/keys")["keys"] {
                keys = list.compactMap { if case .string(let text)? = $0["verifier_key"] { try? NoteKey(verifierKey: text) } else { nil } }
            }
        }
        var report = VerificationReport()
        let latest = try await client.call(.GET, "/api/2.0/vigil/ledger/checkpoint")
        guard case .string(let note)? = latest["note"] else { throw CLIFailure("the server returned no checkpoint note") }
        report.checkpointCount = 1
        var body: String?
        for key in keys { if let verified = try? key.verify(note: note) { body = verified; break } }
        guard let body, let checkpoint = try? Checkpoint(body: body) else {
            report.invalidCheckpointCount = 1
            report.problems.append(.init(kind: .badSignature, range: 0...0, detail: "the latest checkpoint is not signed by a trusted key"))
            report.checkpointLines.append("latest checkpoint: INVALID: bad signature")
            return (report, pinnedKeys.isEmpty)
        }

        // Every event the server serves, keyed by seq: (served leaf hash, leaf hash recomputed from the JSON).
        var leaves: [UInt64: (served: MerkleHash, recomputed: MerkleHash)] = [:]
        var token: String?
        repeat {
            var query = [("order", "asc"), ("page_size", "1000"), ("include", "ledger")]
            if let token { query.append(("page_token", token)) }
            let page = try await client.call(.GET, "/api/2.0/audit/events", query: query)
            if case .array(let events)? = page["events"] {
                for event in events {
                    guard case .object(let members) = event, case .number(let seqText)? = event["seq"], let seq = UInt64(seqText),
                          case .string(let leafText)? = event["leaf_hash"], let served = Data(base64Encoded: leafText)
                    else { throw CLIFailure("an event came back without seq and leaf_hash") }
                    let canonical = JSONValue.object(members.filter { !["seq", "leaf_hash", "received_time"].contains($0.key) })
                    var writer = JSONWriter()
                    writer.value(canonical)
                    leaves[seq] = (Array(served), MerkleHasher.leafHash(writer.bytes))
                }
            }
            if case .string(let next)? = page["next_page_token"] { token = next } else { token = nil }
            progress(UInt64(leaves.count), max(checkpoint.size, UInt64(leaves.count)))
        } while token != nil

        let total = max(checkpoint.size, (leaves.keys.max().map { $0 == .max ? $0 : $0 + 1 }) ?? 0)
        report.leafCount = total
        var tree = CompactRange()
        var modified: [UInt64] = [], missing: [UInt64] = []
        for seq in 0..<checkpoint.size {
            guard let leaf = leaves[seq] else { missing.append(seq); continue }
            if leaf.served != leaf.recomputed { modified.append(seq) }
            if missing.isEmpty { tree.append(leaf.served) }
        }
        report.problems += LedgerVerifier.ranges(of: modified, kind: .modified, detail: "the served event does not hash to its leaf")
        report.problems += LedgerVerifier.ranges(of: missing, kind: .missing, detail: "the checkpoint covers a seq the server does not serve")
        report.invalidLeafCount = UInt64(modified.count + missing.count)
        if missing.isEmpty, tree.root() != checkpoint.root {
            report.invalidCheckpointCount = 1
            report.problems.append(.init(kind: .inconsistentCheckpoints, range: LedgerVerifier.span(0, checkpoint.size),
                                         detail: "the served leaves do not reproduce the root signed at tree size \(checkpoint.size)"))
            report.checkpointLines.append("latest checkpoint (tree size \(checkpoint.size)): INVALID: root mismatch")
        } else {
            report.coveredSize = checkpoint.size
            report.checkpointLines.append("latest checkpoint (tree size \(checkpoint.size), \(Timestamp.formatRFC3339(millis: checkpoint.timestampMillis))): valid")
        }
        return (report, pinnedKeys.isEmpty)
    }
}
