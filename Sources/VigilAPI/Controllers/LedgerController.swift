import Foundation
import Hummingbird
import VigilCore
import VigilLedger
import VigilStore

/// `/api/2.0/vigil/ledger/…`: signed checkpoints, published keys, inclusion and consistency proofs.
/// Hashes are base64, as in the RFC 6962 test vectors.
struct LedgerController {
    let ledger: LedgerStore
    let signer: CheckpointSigner

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/ledger/checkpoint"), use: checkpoint)
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/ledger/checkpoint"), use: sign)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/ledger/keys"), use: keys)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/ledger/proof/inclusion"), use: inclusion)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/ledger/proof/consistency"), use: consistency)
    }

    @Sendable func checkpoint(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["tree_size"])
        let stored: StoredCheckpoint?
        if let size = try query.integer("tree_size", range: 0...Int.max) {
            stored = try await ledger.checkpoint(treeSize: UInt64(size))
            guard stored != nil else { throw VigilError(.notFound, "no checkpoint was signed at tree_size \(size)") }
        } else {
            stored = try await ledger.latestCheckpoint()
        }
        guard let stored else { throw VigilError(.notFound, "no checkpoint has been signed yet") }
        return Self.response(for: stored)
    }

    @Sendable func sign(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let stored = try await signer.signNow()
        context.auditNote.set("tree_size", String(stored.checkpoint.size))
        return Self.response(for: stored)
    }

    @Sendable func keys(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let keys = try await ledger.keys()
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("keys")
            writer.beginArray()
            for (position, key) in keys.enumerated() {
                if position > 0 { writer.comma() }
                writer.beginObject()
                writer.key("key_id"); writer.string(key.keyID); writer.comma()
                writer.key("verifier_key"); writer.string(key.verifierKey); writer.comma()
                writer.key("public_key")
                writer.string((try? NoteKey(verifierKey: key.verifierKey)).map { Data($0.publicKey.rawRepresentation).base64EncodedString() })
                writer.comma()
                writer.key("algorithm"); writer.string("Ed25519"); writer.comma()
                writer.key("created_time"); writer.integer(key.createdMillis); writer.comma()
                writer.key("active"); writer.bool(key.retiredMillis == nil)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
    }

    @Sendable func inclusion(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["event_id", "seq", "tree_size"])
        let seq: UInt64
        switch (try query.string("event_id"), try query.integer("seq", range: 0...Int.max)) {
        case (let eventID?, nil):
            context.auditNote.set("event_id", String(eventID.prefix(128)))
            guard let found = try await ledger.seq(ofEventID: eventID) else {
                throw VigilError(.notFound, "no audit event with event_id '\(eventID.prefix(128))'")
            }
            seq = found
        case (nil, let given?): seq = UInt64(given)
        default: throw VigilError(.invalidParameter, "give exactly one of event_id or seq")
        }
        let treeSize = try await treeSize(query.integer("tree_size", range: 1...Int.max))
        let proof = try await ledger.inclusionProof(seq: seq, treeSize: treeSize)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("leaf_index"); writer.integer(proof.leafIndex); writer.comma()
            writer.key("tree_size"); writer.integer(proof.treeSize); writer.comma()
            writer.key("leaf_hash"); writer.string(Self.base64(proof.leafHash)); writer.comma()
            writer.key("root_hash"); writer.string(Self.base64(proof.rootHash)); writer.comma()
            writer.key("hashes"); Self.write(proof.hashes, into: &writer)
            writer.endObject()
        }
    }

    @Sendable func consistency(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["first", "second"])
        guard let first = try query.integer("first", range: 1...Int.max) else {
            throw VigilError(.invalidParameter, "first (a tree size ≥ 1) is required")
        }
        let second = try await treeSize(query.integer("second", range: 1...Int.max))
        let proof = try await ledger.consistencyProof(first: UInt64(first), second: second)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("first"); writer.integer(proof.first); writer.comma()
            writer.key("second"); writer.integer(proof.second); writer.comma()
            writer.key("first_root_hash"); writer.string(Self.base64(proof.firstRoot)); writer.comma()
            writer.key("second_root_hash"); writer.string(Self.base64(proof.secondRoot)); writer.comma()
            writer.key("hashes"); Self.write(proof.hashes, into: &writer)
            writer.endObject()
        }
    }

    /// The requested size, else the latest checkpoint's (so the proof checks against a signed root), else
    /// the current tree.
    private func treeSize(_ given: Int?) async throws -> UInt64 {
        if let given { return UInt64(given) }
        if let latest = try await ledger.latestCheckpoint(), latest.checkpoint.size > 0 { return latest.checkpoint.size }
        return try await ledger.treeHead().size
    }

    static func response(for stored: StoredCheckpoint) -> Response {
        JSONResponse.write { writer in
            writer.beginObject()
            writer.key("origin"); writer.string(stored.checkpoint.origin); writer.comma()
            writer.key("tree_size"); writer.integer(stored.checkpoint.size); writer.comma()
            writer.key("root_hash"); writer.string(base64(stored.checkpoint.root)); writer.comma()
            writer.key("timestamp"); writer.integer(stored.checkpoint.timestampMillis); writer.comma()
            writer.key("key_id"); writer.string(stored.keyID); writer.comma()
            writer.key("note"); writer.string(stored.note)
            writer.endObject()
        }
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func write(_ hashes: [MerkleHash], into writer: inout JSONWriter) {
        writer.beginArray()
        for (position, hash) in hashes.enumerated() {
            if position > 0 { writer.comma() }
            writer.string(base64(hash))
        }
        writer.endArray()
    }
}
