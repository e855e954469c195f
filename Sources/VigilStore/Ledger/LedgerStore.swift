import Foundation
import GRDB
import VigilCore
import VigilLedger

/// A checkpoint as stored: the signed note and what it says.
public struct StoredCheckpoint: Sendable, Equatable {
    public let id: Int64
    public let checkpoint: Checkpoint
    public let keyID: String
    public let note: String
}

/// Reads of the ledger: tree heads, proofs, checkpoints and keys.
///
/// Proofs use a cache of perfect subtree hashes (`SubtreeCache`), so they read only a few blocks of leaves.
public struct LedgerStore: Sendable {
    public let database: VigilDatabase
    /// Shared by every copy of this store, so proofs get faster as the cache fills.
    let subtrees: SubtreeCache

    public init(database: VigilDatabase, subtrees: SubtreeCache = SubtreeCache()) {
        self.database = database
        self.subtrees = subtrees
    }

    /// The current tree size and root, from the compact range committed with the latest events.
    public func treeHead() async throws -> (size: UInt64, root: MerkleHash) {
        try await database.pool.read { db in
            let range = try LedgerState.load(db)
            return (range.size, range.root())
        }
    }

    /// The compact range of the first `size` stored leaves (reads them all: used once per process).
    public func compactRange(size: UInt64) async throws -> CompactRange {
        try await database.pool.read { db in
            var range = CompactRange()
            for leaf in try Self.leafHashes(upTo: size, db) { range.append(leaf) }
            return range
        }
    }

    /// `range` extended with the leaves stored after it, and the committed tree head, read together.
    public func extend(_ range: CompactRange) async throws -> (CompactRange, head: (size: UInt64, root: MerkleHash)) {
        try await database.pool.read { db in
            let state = try LedgerState.load(db)
            var extended = range
            let rows = try Row.fetchCursor(db, sql: "SELECT seq, leaf_hash FROM ledger_leaves WHERE seq >= ? AND seq < ? ORDER BY seq",
                                           arguments: [Int64(range.size), Int64(state.size)])
            while let row = try rows.next() {
                guard UInt64(row[0] as Int64) == extended.size else { break }
                extended.append([UInt8](row[1] as Data))
            }
            return (extended, (state.size, state.root()))
        }
    }

    /// Leaf hashes of [0, size) in seq order.
    static func leafHashes(upTo size: UInt64, _ db: Database) throws -> [MerkleHash] {
        var hashes: [MerkleHash] = []
        hashes.reserveCapacity(Int(size))
        let cursor = try Row.fetchCursor(db, sql: "SELECT seq, leaf_hash FROM ledger_leaves WHERE seq < ? ORDER BY seq", arguments: [Int64(size)])
        while let row = try cursor.next() {
            guard (row["seq"] as Int64) == Int64(hashes.count) else {
                throw VigilError(.internal, "ledger leaf \(hashes.count) is missing; run vigil verify")
            }
            hashes.append([UInt8](row["leaf_hash"] as Data))
        }
        guard hashes.count == Int(size) else { throw VigilError(.internal, "ledger has \(hashes.count) leaves, want \(size)") }
        return hashes
    }

    private func checkedSize(_ size: UInt64, _ db: Database) throws {
        let current = try LedgerState.load(db).size
        guard size <= current else {
            throw VigilError(.invalidParameter, "tree_size \(size) is larger than the ledger (\(current) leaves)")
        }
    }

    public struct InclusionProof: Sendable {
        public let leafIndex: UInt64
        public let treeSize: UInt64
        public let leafHash: MerkleHash
        public let rootHash: MerkleHash
        public let hashes: [MerkleHash]
    }

    public func inclusionProof(seq: UInt64, treeSize: UInt64) async throws -> InclusionProof {
        guard seq < treeSize else { throw VigilError(.invalidParameter, "seq \(seq) is not below tree_size \(treeSize)") }
        return try await database.pool.read { [subtrees] db in
            try checkedSize(treeSize, db)
            let proof = try MerkleProofs.inclusionProof(index: seq, size: treeSize) { try subtrees.hash($0, db) }
            return InclusionProof(leafIndex: seq, treeSize: treeSize, leafHash: try subtrees.hash(seq..<(seq + 1), db),
                                  rootHash: try subtrees.hash(0..<treeSize, db), hashes: proof)
        }
    }

    public struct ConsistencyProof: Sendable {
        public let first: UInt64
        public let second: UInt64
        public let firstRoot: MerkleHash
        public let secondRoot: MerkleHash
        public let hashes: [MerkleHash]
    }

    public func consistencyProof(first: UInt64, second: UInt64) async throws -> ConsistencyProof {
        guard first <= second else { throw VigilError(.invalidParameter, "first (\(first)) must not exceed second (\(second))") }
        return try await database.pool.read { [subtrees] db in
            try checkedSize(second, db)
            let proof = try MerkleProofs.consistencyProof(first: first, second: second) { try subtrees.hash($0, db) }
            return ConsistencyProof(first: first, second: second, firstRoot: try subtrees.hash(0..<first, db),
                                    secondRoot: try subtrees.hash(0..<second, db), hashes: proof)
        }
    }

    /// The seq of `eventID`, or nil.
    public func seq(ofEventID eventID: String) async throws -> UInt64? {
        try await database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM audit_events WHERE event_id = ?", arguments: [eventID]).map { UInt64($0) }
        }
    }

    /// Leaf hashes of the given seqs (for `include=ledger` listings).
    public func leafHashes(of seqs: [Int64]) async throws -> [Int64: MerkleHash] {
        guard !seqs.isEmpty else { return [:] }
        return try await database.pool.read { db in
            let request: SQLRequest<Row> = "SELECT seq, leaf_hash FROM ledger_leaves WHERE seq IN \(seqs)"
            var result: [Int64: MerkleHash] = [:]
            for row in try Row.fetchAll(db, request) { result[row["seq"]] = [UInt8](row["leaf_hash"] as Data) }
            return result
        }
    }

    // MARK: Checkpoints

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1").map(Self.decodeCheckpoint)
        }
    }

    /// The newest checkpoint of exactly `treeSize` leaves, or nil.
    public func checkpoint(treeSize: UInt64) async throws -> StoredCheckpoint? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoints WHERE tree_size = ? ORDER BY id DESC LIMIT 1",
                             arguments: [Int64(treeSize)]).map(Self.decodeCheckpoint)
        }
    }

    /// The newest checkpoint of at most `treeSize` leaves and more than none, or nil (a digest names the newest
    /// checkpoint its delivered events already cover, so a verifier can recompute its root from the files).
    public func latestCheckpoint(atMost treeSize: UInt64) async throws -> StoredCheckpoint? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoints WHERE tree_size BETWEEN 1 AND ? ORDER BY tree_size DESC, id DESC LIMIT 1",
                             arguments: [Int64(treeSize)]).map(Self.decodeCheckpoint)
        }
    }

    public func allCheckpoints() async throws -> [StoredCheckpoint] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM checkpoints ORDER BY id").map(Self.decodeCheckpoint)
        }
    }

    public func append(_ checkpoint: Checkpoint, note: String, keyID: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "INSERT INTO checkpoints(tree_size, timestamp, key_id, note) VALUES (?, ?, ?, ?)",
                           arguments: [Int64(checkpoint.size), checkpoint.timestampMillis, keyID, note])
        }
    }

    static func decodeCheckpoint(_ row: Row) throws -> StoredCheckpoint {
        let note: String = row["note"]
        let body = note.range(of: "\n\n").map { String(note[..<$0.lowerBound]) + "\n" } ?? note
        return StoredCheckpoint(id: row["id"], checkpoint: try Checkpoint(body: body), keyID: row["key_id"], note: note)
    }

    // MARK: Keys

    public struct KeyRecord: Sendable, Equatable {
        public let keyID: String
        public let verifierKey: String
        public let createdMillis: Int64
        public let retiredMillis: Int64?
    }

    public func keys() async throws -> [KeyRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ledger_keys ORDER BY created_time, key_id").map {
                KeyRecord(keyID: $0["key_id"], verifierKey: $0["verifier_key"], createdMillis: $0["created_time"],
                          retiredMillis: $0["retired_time"])
            }
        }
    }

    /// Publishes `key` as the active key; every other key is marked retired (and stays published).
    public func activate(_ key: NoteKey, at millis: Int64) async throws {
        let keyID = Hex.encode(key.keyID)
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE ledger_keys SET retired_time = ? WHERE key_id != ? AND retired_time IS NULL",
                           arguments: [millis, keyID])
            try db.execute(sql: "INSERT INTO ledger_keys(key_id, verifier_key, created_time) VALUES (?, ?, ?) ON CONFLICT(key_id) DO NOTHING",
                           arguments: [keyID, key.verifierKey, millis])
        }
    }
}
