import Crypto
import Foundation

/// A C2SP checkpoint (tlog-checkpoint): origin, tree size and root hash, signed as a C2SP signed note with
/// Ed25519. The note text is what gets published; anyone with the public key can check it.
///
///     <origin>\n<size>\n<base64 root>\n[timestamp extension]\n\n— <key name> <base64(key id ‖ signature)>\n
///
/// Vigil adds one extension line, `Timestamp: <epoch ms>`, so that checkpoints are ordered in time; the
/// spec lets verifiers ignore extension lines they do not know.
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: UInt64
    public var root: MerkleHash
    public var timestampMillis: Int64

    public init(origin: String, size: UInt64, root: MerkleHash, timestampMillis: Int64) {
        self.origin = origin
        self.size = size
        self.root = root
        self.timestampMillis = timestampMillis
    }

    /// The note body that is signed (ends with a newline).
    public var body: String {
        "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\nTimestamp: \(timestampMillis)\n"
    }

    /// Parses a note body (without signatures).
    public init(body: String) throws(LedgerError) {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, lines.last == "", !lines[0].isEmpty,
              let size = UInt64(lines[1]), lines[1] == "0" || !lines[1].hasPrefix("0"),
              let root = Data(base64Encoded: String(lines[2])), root.count == 32
        else { throw LedgerError(.malformedCheckpoint, "checkpoint body must be origin, size, base64 root") }
        var timestamp: Int64 = 0
        for line in lines[3...] where line.hasPrefix("Timestamp: ") {
            guard let value = Int64(line.dropFirst("Timestamp: ".count)) else {
                throw LedgerError(.malformedCheckpoint, "Timestamp extension is not an integer")
            }
            timestamp = value
        }
        self.init(origin: String(lines[0]), size: size, root: Array(root), timestampMillis: timestamp)
    }
}

/// An Ed25519 signer/verifier for signed notes (C2SP signed-note, signature type 0x01).
public struct NoteKey: Sendable {
    public let name: String
    public let publicKey: Curve25519.Signing.PublicKey
    private let privateKey: Curve25519.Signing.PrivateKey?

    public init(name: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.name = name
        self.privateKey = privateKey
        self.publicKey = privateKey.publicKey
    }

    public init(name: String, publicKey: Curve25519.Signing.PublicKey) {
        self.name = name
        self.privateKey = nil
        self.publicKey = publicKey
    }

    /// The raw private key, for storage by the key's owner (nil for a verifier-only key).
    public var privateRepresentation: [UInt8]? { privateKey.map { Array($0.rawRepresentation) } }

    /// SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4].
    public var keyID: [UInt8] {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8) + [0x0A, 0x01] + Array(publicKey.rawRepresentation))
        return Array(hasher.finalize().prefix(4))
    }

    /// The verifier key string `name+hex(key id)+base64(0x01 ‖ public key)`.
    public var verifierKey: String {
        "\(name)+\(keyID.map { String(format: "%02x", $0) }.joined())+\(Data([0x01] + publicKey.rawRepresentation).base64EncodedString())"
    }

    /// Parses a verifier key string.
    public init(verifierKey: String) throws(LedgerError) {
        let parts = verifierKey.split(separator: "+", maxSplits: 2)
        guard parts.count == 3, let raw = Data(base64Encoded: String(parts[2])), raw.count == 33, raw.first == 0x01,
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw.dropFirst())
        else { throw LedgerError(.invalidArgument, "not an Ed25519 verifier key") }
        self.init(name: String(parts[0]), publicKey: key)
        guard keyID.map({ String(format: "%02x", $0) }).joined() == parts[1] else {
            throw LedgerError(.invalidArgument, "verifier key id does not match its key")
        }
    }

    /// Signs `body` and returns the complete note.
    public func sign(_ body: String) throws -> String {
        guard let privateKey else { throw LedgerError(.invalidArgument, "key \(name) has no private part") }
        let signature = try privateKey.signature(for: Data(body.utf8))
        return body + "\n— \(name) \(Data(keyID + Array(signature)).base64EncodedString())\n"
    }

    /// Returns the note's body when one of its signature lines is a valid signature by this key.
    public func verify(note: String) throws(LedgerError) -> String {
        guard let split = note.range(of: "\n\n", options: .backwards) else {
            throw LedgerError(.malformedCheckpoint, "note has no signature block")
        }
        let body = String(note[..<split.lowerBound]) + "\n"
        let signatures = note[split.upperBound...].split(separator: "\n")
        guard !signatures.isEmpty, signatures.count <= 16 else {
            throw LedgerError(.malformedCheckpoint, "note has \(signatures.count) signature lines, want 1 to 16")
        }
        for line in signatures {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "—", fields[1] == name,
                  let blob = Data(base64Encoded: String(fields[2])), blob.count == 68, Array(blob.prefix(4)) == keyID
            else { continue }
            if publicKey.isValidSignature(blob.dropFirst(4), for: Data(body.utf8)) { return body }
            throw LedgerError(.badSignature, "signature by \(name) does not verify")
        }
        throw LedgerError(.badSignature, "no signature by \(name) (key id \(keyID.map { String(format: "%02x", $0) }.joined()))")
    }
}
