import Foundation
import Testing
import VigilLedger

/// The transparency-dev/merkle probe files in Tests/LedgerVectors (Apache 2.0, see its LICENSE): every happy path must
/// verify and every `wantErr` case must be rejected.
@Suite("RFC 6962 vectors")
struct VectorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("LedgerVectors")

    static func cases(_ kind: String) throws -> [(name: String, json: [String: Any])] {
        let folder = root.appendingPathComponent(kind)
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        var found: [(String, [String: Any])] = []
        for case let url as URL in walker where url.pathExtension == "json" {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
            found.append((url.path.replacingOccurrences(of: folder.path, with: kind), object))
        }
        return found.sorted { $0.0 < $1.0 }
    }

    static func hash(_ value: Any?) -> MerkleHash {
        guard let text = value as? String else { return [] }
        return Data(base64Encoded: text).map(Array.init) ?? Array(text.utf8)
    }

    static func hashes(_ value: Any?) -> [MerkleHash] {
        (value as? [Any] ?? []).map(hash)
    }

    static func number(_ value: Any?) -> UInt64 { (value as? NSNumber)?.uint64Value ?? 0 }

    @Test("every inclusion case is accepted or rejected as specified")
    func inclusion() throws {
        let cases = try Self.cases("inclusion")
        #expect(cases.count > 90)
        for (name, json) in cases {
            let wantError = json["wantErr"] as? Bool ?? false
            var rejected = false
            do {
                try MerkleProofs.verifyInclusion(
                    index: Self.number(json["leafIdx"]), size: Self.number(json["treeSize"]),
                    leafHash: Self.hash(json["leafHash"]), proof: Self.hashes(json["proof"]), root: Self.hash(json["root"]))
            } catch {
                rejected = true
            }
            #expect(rejected == wantError, "\(name)")
        }
    }

    @Test("every consistency case is accepted or rejected as specified")
    func consistency() throws {
        let cases = try Self.cases("consistency")
        #expect(cases.count > 90)
        for (name, json) in cases {
            let wantError = json["wantErr"] as? Bool ?? false
            var rejected = false
            do {
                try MerkleProofs.verifyConsistency(
                    first: Self.number(json["size1"]), second: Self.number(json["size2"]),
                    firstRoot: Self.hash(json["root1"]), secondRoot: Self.hash(json["root2"]), proof: Self.hashes(json["proof"]))
            } catch {
                rejected = true
            }
            #expect(rejected == wantError, "\(name)")
        }
    }
}
