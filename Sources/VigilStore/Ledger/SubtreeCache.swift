import Foundation
import GRDB
import Synchronization
import VigilLedger

/// Hashes of perfect, aligned subtrees of at least `blockSize` leaves, computed once and kept: such a
/// subtree never changes once its last leaf exists. A proof over n leaves then needs O(log n) cached
/// hashes plus at most a few blocks of leaves read from the database, instead of all n leaves.
public final class SubtreeCache: Sendable {
    public static let blockSize: UInt64 = 1024

    private let hashes = Mutex<[Range<UInt64>: MerkleHash]>([:])

    public init() {}

    /// MTH of the leaves in `range` (RFC 6962 §2.1), read inside `db`'s transaction.
    func hash(_ range: Range<UInt64>, _ db: Database) throws -> MerkleHash {
        let count = UInt64(range.count)
        if count == 0 { return MerkleHasher.emptyRoot }
        let perfect = count & (count - 1) == 0 && range.lowerBound % count == 0
        if perfect, count >= Self.blockSize {
            if let cached = hashes.withLock({ $0[range] }) { return cached }
            let computed: MerkleHash
            if count == Self.blockSize {
                computed = MerkleHasher.root(ofLeafHashes: try leaves(range, db)[...])
            } else {
                let middle = range.lowerBound + count / 2
                computed = MerkleHasher.nodeHash(try hash(range.lowerBound..<middle, db), try hash(middle..<range.upperBound, db))
            }
            hashes.withLock { $0[range] = computed }
            return computed
        }
        if count < Self.blockSize {
            return MerkleHasher.root(ofLeafHashes: try leaves(range, db)[...])
        }
        // Not perfect: split as the RFC does; the left part is perfect and aligned, so it is cacheable.
        let split = range.lowerBound + UInt64(MerkleHasher.largestPowerOfTwo(below: Int(count)))
        return MerkleHasher.nodeHash(try hash(range.lowerBound..<split, db), try hash(split..<range.upperBound, db))
    }

    private func leaves(_ range: Range<UInt64>, _ db: Database) throws -> [MerkleHash] {
        let rows = try Row.fetchAll(db, sql: "SELECT seq, leaf_hash FROM ledger_leaves WHERE seq >= ? AND seq < ? ORDER BY seq",
                                    arguments: [Int64(range.lowerBound), Int64(range.upperBound)])
        guard rows.count == range.count else {
            throw LedgerError(.corruptState, "ledger leaves \(range.lowerBound)..<\(range.upperBound) are incomplete; run vigil verify")
        }
        return rows.map { [UInt8]($0[1] as Data) }
    }
}
