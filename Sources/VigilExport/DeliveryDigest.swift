import Crypto
import Foundation
import VigilCore
import VigilLedger

/// A digest file in the manner of CloudTrail's (reference audit-anchors.md §1.1): every log file delivered since
/// the previous digest with its SHA-256 and seq ranges, the hash and signature of the previous digest (a chain:
/// removing or changing one breaks the next link), and the newest signed ledger checkpoint the delivered events
/// cover, so a verifier can recompute its root from the files themselves.
///
/// The signature is not inside the file (it could not sign itself): it is the `.sig` object beside it, and the
/// next digest carries it as `previousDigestSignature`. Signed, as a C2SP note body with the checkpoint key:
///
///     <digestEndTime>\n<digestObject>\n<hex SHA-256 of the digest bytes>\n<previousDigestSignature or null>\n
public struct DeliveryDigest: Sendable, Equatable {
    public var startMillis: Int64
    public var endMillis: Int64
    public var object: String
    /// The checkpoint key's id (hex), to pick the verifier key.
    public var keyFingerprint: String
    public var previousObject: String?
    public var previousHash: String?
    public var previousSignature: String?
    /// A signed checkpoint note whose tree size is at most one past the last seq delivered so far, or nil when
    /// there is none yet.
    public var checkpoint: String?
    public var files: [DeliveredFileRecord]

    public static let signatureAlgorithm = "Ed25519"

    public init(startMillis: Int64, endMillis: Int64, object: String, keyFingerprint: String, previousObject: String?,
                previousHash: String?, previousSignature: String?, checkpoint: String?, files: [DeliveredFileRecord]) {
        self.startMillis = startMillis
        self.endMillis = endMillis
        self.object = object
        self.keyFingerprint = keyFingerprint
        self.previousObject = previousObject
        self.previousHash = previousHash
        self.previousSignature = previousSignature
        self.checkpoint = checkpoint
        self.files = files
    }

    /// The file's bytes: one JSON object, members in a fixed order.
    public var bytes: [UInt8] {
        var writer = JSONWriter(reservingCapacity: 1024 + files.count * 300)
        writer.beginObject()
        writer.key("digestStartTime"); writer.timestamp(millis: startMillis); writer.comma()
        writer.key("digestEndTime"); writer.timestamp(millis: endMillis); writer.comma()
        writer.key("digestObject"); writer.string(object); writer.comma()
        writer.key("digestPublicKeyFingerprint"); writer.string(keyFingerprint); writer.comma()
        writer.key("digestSignatureAlgorithm"); writer.string(Self.signatureAlgorithm); writer.comma()
        writer.key("previousDigestObject"); writer.string(previousObject); writer.comma()
        writer.key("previousDigestHashValue"); writer.string(previousHash); writer.comma()
        writer.key("previousDigestHashAlgorithm"); writer.string(previousHash == nil ? nil : "SHA-256"); writer.comma()
        writer.key("previousDigestSignature"); writer.string(previousSignature); writer.comma()
        let oldest = files.map(\.oldestEventMillis).min()
        let newest = files.map(\.newestEventMillis).max()
        writer.key("oldestEventTime"); if let oldest { writer.timestamp(millis: oldest) } else { writer.null() }; writer.comma()
        writer.key("newestEventTime"); if let newest { writer.timestamp(millis: newest) } else { writer.null() }; writer.comma()
        writer.key("checkpoint"); writer.string(checkpoint); writer.comma()
        writer.key("logFiles")
        writer.beginArray()
        for (index, file) in files.enumerated() {
            if index > 0 { writer.comma() }
            writer.beginObject()
            writer.key("object"); writer.string(file.key); writer.comma()
            writer.key("hashValue"); writer.string(file.sha256); writer.comma()
            writer.key("hashAlgorithm"); writer.string("SHA-256"); writer.comma()
            writer.key("batchFirstSeq"); writer.integer(file.batch.lowerBound); writer.comma()
            writer.key("batchLastSeq"); writer.integer(file.batch.upperBound); writer.comma()
            writer.key("seqRanges")
            writer.beginArray()
            for (position, range) in file.seqRanges.enumerated() {
                if position > 0 { writer.comma() }
                writer.beginArray(); writer.integer(range.lowerBound); writer.comma(); writer.integer(range.upperBound); writer.endArray()
            }
            writer.endArray(); writer.comma()
            writer.key("eventCount"); writer.integer(file.eventCount); writer.comma()
            writer.key("oldestEventTime"); writer.timestamp(millis: file.oldestEventMillis); writer.comma()
            writer.key("newestEventTime"); writer.timestamp(millis: file.newestEventMillis)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        writer.rawBytes("\n")
        return writer.bytes
    }

    /// Reads a digest file; the error names what is wrong.
    public init(bytes: [UInt8]) throws {
        let value = try JSONParser.parse(bytes)
        func string(_ key: String) throws -> String? {
            switch value[key] {
            case .string(let text)?: return text
            case .null?, nil: return nil
            default: throw VigilError(.invalidParameter, "\(key) is not a string")
            }
        }
        func time(_ key: String) throws -> Int64 {
            guard let text = try string(key), let millis = Timestamp.parseRFC3339(text) else {
                throw VigilError(.invalidParameter, "\(key) is not an RFC 3339 time")
            }
            return millis
        }
        func integer(_ value: JSONValue?, _ name: String) throws -> Int64 {
            guard case .number(let text)? = value, let number = Int64(text) else { throw VigilError(.invalidParameter, "\(name) is not an integer") }
            return number
        }
        guard case .array(let items)? = value["logFiles"] else { throw VigilError(.invalidParameter, "logFiles is not an array") }
        var files: [DeliveredFileRecord] = []
        for (index, item) in items.enumerated() {
            let name = "logFiles[\(index)]"
            guard case .string(let key)? = item["object"], case .string(let hash)? = item["hashValue"],
                  case .array(let runs)? = item["seqRanges"] else { throw VigilError(.invalidParameter, "\(name) lacks object, hashValue or seqRanges") }
            let first = try integer(item["batchFirstSeq"], "\(name).batchFirstSeq")
            let last = try integer(item["batchLastSeq"], "\(name).batchLastSeq")
            var ranges: [ClosedRange<Int64>] = []
            for run in runs {
                guard case .array(let pair) = run, pair.count == 2 else { throw VigilError(.invalidParameter, "\(name).seqRanges holds a non-pair") }
                let (low, high) = (try integer(pair[0], "\(name).seqRanges"), try integer(pair[1], "\(name).seqRanges"))
                guard low <= high else { throw VigilError(.invalidParameter, "\(name).seqRanges has \(low) > \(high)") }
                ranges.append(low...high)
            }
            guard first <= last else { throw VigilError(.invalidParameter, "\(name) batch \(first) > \(last)") }
            guard case .string(let oldest)? = item["oldestEventTime"], let oldestMillis = Timestamp.parseRFC3339(oldest),
                  case .string(let newest)? = item["newestEventTime"], let newestMillis = Timestamp.parseRFC3339(newest)
            else { throw VigilError(.invalidParameter, "\(name) event times are not RFC 3339") }
            files.append(DeliveredFileRecord(
                key: key, sha256: hash, batch: first...last, seqRanges: ranges, eventCount: Int(try integer(item["eventCount"], "\(name).eventCount")),
                oldestEventMillis: oldestMillis, newestEventMillis: newestMillis))
        }
        guard let object = try string("digestObject"), let fingerprint = try string("digestPublicKeyFingerprint") else {
            throw VigilError(.invalidParameter, "digestObject or digestPublicKeyFingerprint is missing")
        }
        self.init(startMillis: try time("digestStartTime"), endMillis: try time("digestEndTime"), object: object, keyFingerprint: fingerprint,
                  previousObject: try string("previousDigestObject"), previousHash: try string("previousDigestHashValue"),
                  previousSignature: try string("previousDigestSignature"), checkpoint: try string("checkpoint"), files: files)
    }

    /// The note body that is signed, for these exact `bytes`.
    public static func signedBody(endMillis: Int64, object: String, bytes: [UInt8], previousSignature: String?) -> String {
        "\(Timestamp.formatRFC3339(millis: endMillis))\n\(object)\n\(Hex.encode(SHA256.hash(data: bytes)))\n\(previousSignature ?? "null")\n"
    }

    /// Signs the digest's bytes: returns the `.sig` object's text (the note's signature line) and the signature
    /// itself (base64 of key id ‖ Ed25519 signature), which the next digest carries.
    public static func sign(endMillis: Int64, object: String, bytes: [UInt8], previousSignature: String?, key: NoteKey) throws
        -> (line: String, signature: String)
    {
        let note = try key.sign(signedBody(endMillis: endMillis, object: object, bytes: bytes, previousSignature: previousSignature))
        guard let line = note.split(separator: "\n").last, let blob = line.split(separator: " ").last else {
            throw VigilError(.internal, "signed note has no signature line")
        }
        return (String(line) + "\n", String(blob))
    }

    /// The signature carried in a `.sig` object's text, when it is one signature line.
    public static func signature(ofLine text: String) -> String? {
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let fields = line.split(separator: " ")
        guard !line.contains("\n"), fields.count == 3, fields[0] == "—" else { return nil }
        return String(fields[2])
    }
}
