import CompressNIO
import Hummingbird
import NIOCore
import VigilCore

/// Small JSON request bodies (token API and the like): collected with a bound, parsed strictly, members
/// checked by name. The legacy `databricks-cli` sends `Content-Type: text/json`, so the content type is
/// not insisted on.
struct RequestBody {
    let members: [JSONMember]

    /// The whole body, or `request_too_large` (413) past `limit` bytes. A gzip body (`Content-Encoding: gzip`)
    /// is decoded, and `limit` bounds what it decodes to, so a small compressed bomb cannot expand in memory; any
    /// other encoding is refused with 415.
    static func collect(_ request: Request, limit: Int, hint: String = "") async throws -> [UInt8] {
        let encoding = (request.headers[.contentEncoding] ?? "identity").trimmingCharacters(in: .whitespaces).lowercased()
        guard ["identity", "gzip", "x-gzip"].contains(encoding) else {
            throw VigilError(
                .unsupportedMediaType, "Content-Encoding '\(encoding.prefix(32))' is not supported; send the body as is or with gzip")
        }
        var request = request
        var buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw VigilError(.requestTooLarge, "the request body is larger than \(limit) bytes\(hint)")
        }
        guard encoding != "identity" else { return Array(buffer.readableBytesView) }
        do {
            let decoded = try buffer.decompress(with: .gzip(), maxSize: limit)
            return Array(decoded.readableBytesView)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw VigilError(.requestTooLarge, "the request body decompresses to more than \(limit) bytes\(hint)")
        } catch {
            throw VigilError(.invalidParameter, "the request body is not valid gzip (Content-Encoding: gzip)")
        }
    }

    static func read(_ request: Request, allowed: Set<String>, limit: Int = 64 << 10) async throws -> RequestBody {
        let bytes = try await collect(request, limit: limit)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return RequestBody(members: []) }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, rejectsDuplicateKeys: true)
        } catch {
            throw VigilError(.invalidParameter, "the request body is not valid JSON: \(error)")
        }
        guard case .object(let members) = value else {
            throw VigilError(.invalidParameter, "the request body must be a JSON object, got \(value.typeName)")
        }
        if let unknown = members.first(where: { !allowed.contains($0.key) }) {
            throw VigilError(.invalidParameter, "unknown field '\(unknown.key)'; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        return RequestBody(members: members)
    }

    func string(_ key: String) throws -> String? {
        switch members.first(where: { $0.key == key })?.value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw VigilError(.invalidParameter, "\(key) must be a string, got \(other.typeName)")
        }
    }

    func integer(_ key: String) throws -> Int64? {
        switch members.first(where: { $0.key == key })?.value {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = Int64(text) else { throw VigilError(.invalidParameter, "\(key) must be an integer, got \(text.prefix(32))") }
            return value
        case .string(let text)?:
            // The SDK serialises int64 fields as JSON numbers, some proto-JSON clients as strings.
            guard let value = Int64(text) else { throw VigilError(.invalidParameter, "\(key) must be an integer, got '\(text.prefix(32))'") }
            return value
        case let other?: throw VigilError(.invalidParameter, "\(key) must be an integer, got \(other.typeName)")
        }
    }
}
