/// Inclusion and consistency proofs (RFC 6962 §2.1.1–2.1.2), generated from any source of subtree hashes,
/// and verified as RFC 9162 §2.1.3.2 / §2.1.4.2 with the strictness of transparency-dev/merkle: hashes
/// must be 32 bytes, a consistency proof from size 0 is refused, and the proof length must be exact.
public enum MerkleProofs {
    /// MTH of the leaves in `range` (half-open). Implementations read stored leaves or cached subtrees.
    public typealias SubtreeHash = (Range<UInt64>) throws -> MerkleHash

    /// PATH(index, D[0:size]).
    public static func inclusionProof(index: UInt64, size: UInt64, subtree: SubtreeHash) throws -> [MerkleHash] {
        guard index < size else { throw LedgerError(.invalidArgument, "leaf index \(index) is not below tree size \(size)") }
        var proof: [MerkleHash] = []
        try path(index, 0..<size, subtree, &proof)
        return proof
    }

    private static func path(_ m: UInt64, _ range: Range<UInt64>, _ subtree: SubtreeHash, _ proof: inout [MerkleHash]) throws {
        let n = range.count
        guard n > 1 else { return }
        let k = UInt64(MerkleHasher.largestPowerOfTwo(below: n))
        let split = range.lowerBound + k
        if m < k {
            try path(m, range.lowerBound..<split, subtree, &proof)
            proof.append(try subtree(split..<range.upperBound))
        } else {
            try path(m - k, split..<range.upperBound, subtree, &proof)
            proof.append(try subtree(range.lowerBound..<split))
        }
    }

    /// PROOF(first, D[0:second]).
    public static func consistencyProof(first: UInt64, second: UInt64, subtree: SubtreeHash) throws -> [MerkleHash] {
        guard first <= second else { throw LedgerError(.invalidArgument, "first size \(first) exceeds second size \(second)") }
        guard first > 0, first < second else { return [] }
        var proof: [MerkleHash] = []
        try subproof(first, 0..<second, true, subtree, &proof)
        return proof
    }

    private static func subproof(_ m: UInt64, _ range: Range<UInt64>, _ complete: Bool, _ subtree: SubtreeHash,
                                 _ proof: inout [MerkleHash]) throws {
        let n = UInt64(range.count)
        if m == n {
            if !complete { proof.append(try subtree(range)) }
            return
        }
        let k = UInt64(MerkleHasher.largestPowerOfTwo(below: Int(n)))
        let split = range.lowerBound + k
        if m <= k {
            try subproof(m, range.lowerBound..<split, complete, subtree, &proof)
            proof.append(try subtree(split..<range.upperBound))
        } else {
            try subproof(m - k, split..<range.upperBound, false, subtree, &proof)
            proof.append(try subtree(range.lowerBound..<split))
        }
    }

    /// Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`.
    public static func verifyInclusion(index: UInt64, size: UInt64, leafHash: MerkleHash, proof: [MerkleHash],
                                       root: MerkleHash) throws(LedgerError) {
        guard leafHash.count == 32, root.count == 32 else { throw LedgerError(.invalidArgument, "hashes must be 32 bytes") }
        guard index < size else { throw LedgerError(.invalidArgument, "leaf index \(index) is not below tree size \(size)") }
        let (inner, border) = decompose(index: index, size: size)
        guard proof.count == inner + border else {
            throw LedgerError(.proofInvalid, "proof has \(proof.count) hashes, want \(inner + border)")
        }
        guard proof.allSatisfy({ $0.count == 32 }) else { throw LedgerError(.proofInvalid, "proof hashes must be 32 bytes") }
        var hash = leafHash
        for (i, sibling) in proof.prefix(inner).enumerated() {
            hash = (index >> UInt64(i)) & 1 == 0 ? MerkleHasher.nodeHash(hash, sibling) : MerkleHasher.nodeHash(sibling, hash)
        }
        for sibling in proof.dropFirst(inner) {
            hash = MerkleHasher.nodeHash(sibling, hash)
        }
        guard hash == root else { throw LedgerError(.proofInvalid, "calculated root differs from the given root") }
    }

    /// Checks that the tree of `second` leaves with `secondRoot` extends the tree of `first` leaves with
    /// `firstRoot`.
    public static func verifyConsistency(first: UInt64, second: UInt64, firstRoot: MerkleHash, secondRoot: MerkleHash,
                                         proof: [MerkleHash]) throws(LedgerError) {
        guard first <= second else { throw LedgerError(.invalidArgument, "first size \(first) exceeds second size \(second)") }
        guard first > 0 else { throw LedgerError(.invalidArgument, "a consistency proof from an empty tree is meaningless") }
        if first == second {
            guard proof.isEmpty else { throw LedgerError(.proofInvalid, "proof has \(proof.count) hashes, want 0 for equal sizes") }
            guard firstRoot == secondRoot else { throw LedgerError(.proofInvalid, "equal sizes with different roots") }
            return
        }
        guard firstRoot.count == 32, secondRoot.count == 32 else { throw LedgerError(.invalidArgument, "roots must be 32 bytes") }
        guard proof.allSatisfy({ $0.count == 32 }) else { throw LedgerError(.proofInvalid, "proof hashes must be 32 bytes") }
        // The tree of size `first` is a prefix: drop the levels where it is a complete left subtree.
        let shift = UInt64(first.trailingZeroBitCount)
        let (inner, border) = decompose(index: (first - 1) >> shift, size: (second - 1) >> shift + 1)
        let startsAtFirstRoot = first == 1 << shift
        let expected = inner + border + (startsAtFirstRoot ? 0 : 1)
        guard proof.count == expected else { throw LedgerError(.proofInvalid, "proof has \(proof.count) hashes, want \(expected)") }
        var hashes = proof[...]
        let seed: MerkleHash = startsAtFirstRoot ? firstRoot : hashes.removeFirst()
        let index = (first - 1) >> shift
        var firstHash = seed
        var secondHash = seed
        for (i, sibling) in hashes.prefix(inner).enumerated() {
            if (index >> UInt64(i)) & 1 == 1 {
                firstHash = MerkleHasher.nodeHash(sibling, firstHash)
                secondHash = MerkleHasher.nodeHash(sibling, secondHash)
            } else {
                // Only the bigger tree has a right sibling here; the smaller one ends at this level.
                secondHash = MerkleHasher.nodeHash(secondHash, sibling)
            }
        }
        for sibling in hashes.dropFirst(inner) {
            firstHash = MerkleHasher.nodeHash(sibling, firstHash)
            secondHash = MerkleHasher.nodeHash(sibling, secondHash)
        }
        guard firstHash == firstRoot else { throw LedgerError(.proofInvalid, "proof does not lead to the first root") }
        guard secondHash == secondRoot else { throw LedgerError(.proofInvalid, "proof does not lead to the second root") }
    }

    /// Splits a path into `inner` hashes (below the point where the paths to `index` and to the last leaf
    /// part) and `border` hashes (left siblings on the right edge).
    static func decompose(index: UInt64, size: UInt64) -> (inner: Int, border: Int) {
        let inner = 64 - (index ^ (size - 1)).leadingZeroBitCount
        let border = (index >> UInt64(inner)).nonzeroBitCount
        return (inner, border)
    }
}
