import Foundation
import Hummingbird
import VigilCore

/// An `application/x-www-form-urlencoded` body (the browser pages' forms), bounded and decoded as browsers encode it
/// (`+` is a space).
struct FormBody {
    let fields: [String: String]

    static func read(_ request: Request, limit: Int = 16 << 10) async throws -> FormBody {
        let type = (request.headers[.contentType] ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard type == "application/x-www-form-urlencoded" else {
            throw VigilError(.unsupportedMediaType, "this form is sent as application/x-www-form-urlencoded")
        }
        let bytes = try await RequestBody.collect(request, limit: limit)
        return FormBody(fields: parse(String(decoding: bytes, as: UTF8.self)))
    }

    static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let key = decode(parts[0])
            if fields[key] == nil { fields[key] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }

    subscript(_ key: String) -> String? { fields[key] }
}

/// Compares secrets (CSRF tokens) without an early exit, so timing does not tell how much of a guess was right.
enum ConstantTime {
    static func equals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
