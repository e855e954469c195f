import Crypto
import Foundation
import VigilCore
import VigilLedger

/// Checkpoint signing keys in `<data-dir>/keys/`: `checkpoint-<key id>.key` holds the Ed25519 private key
/// (base64, mode 0600) and `checkpoint-<key id>.pub` the verifier key. The newest `.key` file signs; older
/// ones are kept so their public keys stay published after a rotation.
public struct Keyring: Sendable {
    public let directory: String
    public let keyName: String

    public init(dataDirectory: String, keyName: String) {
        directory = (dataDirectory as NSString).appendingPathComponent("keys")
        self.keyName = keyName
    }

    /// The signing key, created on first use.
    public func activeKey() throws -> NoteKey {
        if let newest = try keyFiles().last { return try load(newest) }
        return try rotate()
    }

    /// Creates a new key and makes it the active one.
    @discardableResult
    public func rotate() throws -> NoteKey {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let key = NoteKey(name: keyName, privateKey: Curve25519.Signing.PrivateKey())
        let stem = String(format: "checkpoint-%013lld-%@", Int64(Date().timeIntervalSince1970 * 1000), Hex.encode(key.keyID))
        let privatePath = (directory as NSString).appendingPathComponent(stem + ".key")
        let descriptor = open(privatePath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw VigilError(.unavailable, "cannot create \(privatePath): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard let raw = key.privateRepresentation else { throw VigilError(.internal, "new key has no private part") }
        let contents = Array((Data(raw).base64EncodedString() + "\n").utf8)
        guard write(descriptor, contents, contents.count) == contents.count, fsync(descriptor) == 0 else {
            throw VigilError(.unavailable, "cannot write \(privatePath)")
        }
        try (key.verifierKey + "\n").write(toFile: (directory as NSString).appendingPathComponent(stem + ".pub"),
                                           atomically: true, encoding: .utf8)
        return key
    }

    /// Every verifier key in the folder (for offline verification).
    public func publicKeys() throws -> [NoteKey] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".pub") }.sorted().map {
            let text = try String(contentsOfFile: (directory as NSString).appendingPathComponent($0), encoding: .utf8)
            return try NoteKey(verifierKey: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    private func keyFiles() throws -> [String] {
        guard FileManager.default.fileExists(atPath: directory) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".key") }.sorted()
    }

    private func load(_ file: String) throws -> NoteKey {
        let path = (directory as NSString).appendingPathComponent(file)
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw VigilError(.unavailable, "\(path) is not an Ed25519 private key")
        }
        return NoteKey(name: keyName, privateKey: privateKey)
    }
}
