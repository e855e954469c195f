import Foundation
import GRDB
import Testing
import VigilCore
import VigilLedger
@testable import VigilStore

@Suite("Ledger store")
struct LedgerStoreTests {
    @Test("proofs from the subtree cache equal proofs from all leaves, across block boundaries")
    func cachedProofsMatch() async throws {
        try await withDatabase { database in
            let events = (0..<5_000).map { prepared($0) }
            _ = try await database.pool.write { db in try Sequencer.write([events], in: db) }
            let leaves = events.map(\.leafHash)
            let all: MerkleProofs.SubtreeHash = { MerkleHasher.root(ofLeafHashes: leaves[Int($0.lowerBound)..<Int($0.upperBound)]) }
            let store = LedgerStore(database: database)
            for (index, size) in [(0, 1024), (1023, 1025), (1024, 2048), (2047, 4097), (4999, 5000), (3, 5000), (2500, 4096)] as [(UInt64, UInt64)] {
                let proof = try await store.inclusionProof(seq: index, treeSize: size)
                #expect(proof.hashes == (try MerkleProofs.inclusionProof(index: index, size: size, subtree: all)), "\(index)/\(size)")
                #expect(proof.rootHash == MerkleHasher.root(ofLeafHashes: leaves[..<Int(size)]))
                try MerkleProofs.verifyInclusion(index: index, size: size, leafHash: leaves[Int(index)], proof: proof.hashes, root: proof.rootHash)
            }
            for (first, second) in [(1024, 5000), (1000, 4097), (2048, 2049), (4999, 5000)] as [(UInt64, UInt64)] {
                let proof = try await store.consistencyProof(first: first, second: second)
                #expect(proof.hashes == (try MerkleProofs.consistencyProof(first: first, second: second, subtree: all)), "\(first)→\(second)")
                try MerkleProofs.verifyConsistency(first: first, second: second, firstRoot: proof.firstRoot,
                                                   secondRoot: proof.secondRoot, proof: proof.hashes)
            }
        }
    }
}
