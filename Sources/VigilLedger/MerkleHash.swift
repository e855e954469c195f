import Crypto

/// A 32-byte SHA-256 digest: a leaf hash, an interior node or a tree root.
public typealias MerkleHash = [UInt8]

/// RFC 6962 §2.1 hashing with domain separation: 0x00 before leaf data, 0x01 before a pair of children.
public enum MerkleHasher {
    public static let hashSize = 32

    /// MTH({}) = SHA-256("").
    public static let emptyRoot: MerkleHash = Array(SHA256.hash(data: [UInt8]()))

    public static func leafHash(_ data: some Sequence<UInt8>) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: Array(data))
        return Array(hasher.finalize())
    }

    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        hasher.update(data: left)
        hasher.update(data: right)
        return Array(hasher.finalize())
    }

    /// MTH of a list of leaf hashes, by the RFC's recursive definition (split at the largest power of two
    /// below the count). Linear time; used for small ranges and as the tests' reference.
    public static func root(ofLeafHashes leaves: ArraySlice<MerkleHash>) -> MerkleHash {
        switch leaves.count {
        case 0: return emptyRoot
        case 1: return leaves[leaves.startIndex]
        default:
            let split = leaves.startIndex + largestPowerOfTwo(below: leaves.count)
            return nodeHash(root(ofLeafHashes: leaves[..<split]), root(ofLeafHashes: leaves[split...]))
        }
    }

    /// The largest power of two strictly below `n`: the RFC's `k`, defined for n ≥ 2. Callers only ask for n ≥ 2;
    /// for anything smaller the answer is 0 rather than a trap (tree sizes arrive from requests and files).
    public static func largestPowerOfTwo(below n: Int) -> Int {
        guard n >= 2 else { return 0 }
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}
