/// The compact range [0, size): the roots of the perfect subtrees that the binary decomposition of `size`
/// splits the tree into, largest (leftmost) first. Appending a leaf merges equal-sized neighbours, so the
/// range holds at most log2(size)+1 hashes and the root of the whole tree is always one fold away.
///
/// Stored next to the events in the same transaction, it lets the ledger extend the tree without reading
/// old leaves.
public struct CompactRange: Sendable, Equatable {
    public private(set) var size: UInt64
    /// Subtree roots, left to right; their sizes are the set bits of `size`, high to low.
    public private(set) var hashes: [MerkleHash]

    public init() {
        size = 0
        hashes = []
    }

    /// Restores a stored range; fails when the hash count does not match `size`'s set bits.
    public init(size: UInt64, hashes: [MerkleHash]) throws(LedgerError) {
        guard hashes.count == size.nonzeroBitCount, hashes.allSatisfy({ $0.count == MerkleHasher.hashSize }) else {
            throw LedgerError(.corruptState, "compact range of size \(size) has \(hashes.count) hashes, want \(size.nonzeroBitCount)")
        }
        self.size = size
        self.hashes = hashes
    }

    public mutating func append(_ leafHash: MerkleHash) {
        var carry = leafHash
        var level = 0
        // Each trailing one bit of `size` is a subtree of the same size as `carry`: merge them.
        while (size >> UInt64(level)) & 1 == 1 {
            carry = MerkleHasher.nodeHash(hashes.removeLast(), carry)
            level += 1
        }
        hashes.append(carry)
        size += 1
    }

    /// MTH of the whole range (the empty root for size 0).
    public func root() -> MerkleHash {
        guard var accumulator = hashes.last else { return MerkleHasher.emptyRoot }
        for hash in hashes.dropLast().reversed() {
            accumulator = MerkleHasher.nodeHash(hash, accumulator)
        }
        return accumulator
    }

    /// The hashes concatenated, for storage (`size` is stored beside them).
    public var serialized: [UInt8] { hashes.flatMap { $0 } }

    public init(size: UInt64, serialized: [UInt8]) throws(LedgerError) {
        guard serialized.count % MerkleHasher.hashSize == 0 else {
            throw LedgerError(.corruptState, "compact range bytes are not a multiple of 32")
        }
        let hashes = stride(from: 0, to: serialized.count, by: MerkleHasher.hashSize).map {
            Array(serialized[$0..<($0 + MerkleHasher.hashSize)])
        }
        try self.init(size: size, hashes: hashes)
    }
}
