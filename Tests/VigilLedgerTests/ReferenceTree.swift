import VigilLedger

/// A deliberately naive transcription of RFC 6962 §2.1 over an array of leaf hashes: the oracle the
/// ledger's proofs are cross-checked against.
struct ReferenceTree {
    let leaves: [MerkleHash]

    static func k(_ n: Int) -> Int {
        var k = 1
        while k * 2 < n { k *= 2 }
        return k
    }

    func mth(_ d: ArraySlice<MerkleHash>) -> MerkleHash {
        if d.isEmpty { return MerkleHasher.emptyRoot }
        if d.count == 1 { return d.first! }
        let k = Self.k(d.count)
        return MerkleHasher.nodeHash(mth(d.prefix(k)), mth(d.dropFirst(k)))
    }

    func path(_ m: Int, _ d: ArraySlice<MerkleHash>) -> [MerkleHash] {
        if d.count <= 1 { return [] }
        let k = Self.k(d.count)
        if m < k { return path(m, d.prefix(k)) + [mth(d.dropFirst(k))] }
        return path(m - k, d.dropFirst(k)) + [mth(d.prefix(k))]
    }

    func subproof(_ m: Int, _ d: ArraySlice<MerkleHash>, _ b: Bool) -> [MerkleHash] {
        if m == d.count { return b ? [] : [mth(d)] }
        let k = Self.k(d.count)
        if m <= k { return subproof(m, d.prefix(k), b) + [mth(d.dropFirst(k))] }
        return subproof(m - k, d.dropFirst(k), false) + [mth(d.prefix(k))]
    }
}
