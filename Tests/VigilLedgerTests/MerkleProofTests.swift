import Foundation
import Testing
import VigilLedger

@Suite("Merkle proofs")
struct MerkleProofTests {
    static let leaves: [MerkleHash] = (0..<64).map { MerkleHasher.leafHash(Array("leaf \($0)".utf8)) }

    static func subtree(_ leaves: [MerkleHash]) -> MerkleProofs.SubtreeHash {
        { range in MerkleHasher.root(ofLeafHashes: leaves[Int(range.lowerBound)..<Int(range.upperBound)]) }
    }

    @Test("roots of the RFC 6962 test leaves match the published values")
    func knownRoots() {
        let inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        let hashes = inputs.map { MerkleHasher.leafHash(Self.bytes(hex: $0)) }
        #expect(Self.hex(MerkleHasher.root(ofLeafHashes: hashes[0..<0])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(MerkleHasher.root(ofLeafHashes: hashes[0..<3])) == "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77")
        #expect(Self.hex(MerkleHasher.root(ofLeafHashes: hashes[0..<8])) == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    }

    @Test("for every tree size up to 64, proofs equal the reference and verify; compact ranges give the same roots")
    func crossCheckUpTo64() throws {
        var range = CompactRange()
        for size in 1...64 {
            let leaves = Array(Self.leaves.prefix(size))
            let reference = ReferenceTree(leaves: leaves)
            let root = reference.mth(leaves[...])
            range.append(leaves[size - 1])
            #expect(range.root() == root, "compact range at size \(size)")
            for index in 0..<size {
                let proof = try MerkleProofs.inclusionProof(index: UInt64(index), size: UInt64(size), subtree: Self.subtree(leaves))
                #expect(proof == reference.path(index, leaves[...]), "inclusion \(index)/\(size)")
                try MerkleProofs.verifyInclusion(index: UInt64(index), size: UInt64(size), leafHash: leaves[index], proof: proof, root: root)
                #expect(throws: LedgerError.self) {
                    try MerkleProofs.verifyInclusion(index: UInt64(index), size: UInt64(size), leafHash: Self.leaves[63 - index == index ? 0 : 63 - index],
                                                     proof: proof, root: root)
                }
            }
            for first in 1...size {
                let proof = try MerkleProofs.consistencyProof(first: UInt64(first), second: UInt64(size), subtree: Self.subtree(leaves))
                #expect(proof == (first == size ? [] : reference.subproof(first, leaves[...], true)), "consistency \(first)→\(size)")
                let firstRoot = reference.mth(leaves.prefix(first))
                try MerkleProofs.verifyConsistency(first: UInt64(first), second: UInt64(size), firstRoot: firstRoot, secondRoot: root, proof: proof)
                if first < size {
                    #expect(throws: LedgerError.self) {
                        try MerkleProofs.verifyConsistency(first: UInt64(first), second: UInt64(size), firstRoot: root, secondRoot: root, proof: proof)
                    }
                }
            }
        }
    }

    @Test("a compact range survives storage and refuses a corrupt one")
    func compactRangeStorage() throws {
        var range = CompactRange()
        for leaf in Self.leaves.prefix(13) { range.append(leaf) }
        let restored = try CompactRange(size: 13, serialized: range.serialized)
        #expect(restored == range)
        #expect(throws: LedgerError.self) { try CompactRange(size: 15, serialized: range.serialized) }
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}

@Suite("Merkle arithmetic totality")
struct MerkleTotalityTests {
    @Test("the split point is defined for n ≥ 2 and 0 below, never a trap")
    func largestPowerOfTwo() {
        #expect(MerkleHasher.largestPowerOfTwo(below: 2) == 1)
        #expect(MerkleHasher.largestPowerOfTwo(below: 1025) == 1024)
        #expect(MerkleHasher.largestPowerOfTwo(below: 1) == 0)
        #expect(MerkleHasher.largestPowerOfTwo(below: -5) == 0)
    }
}
