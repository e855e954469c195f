import Foundation
import Hummingbird
import VigilCore

/// Typed access to a request's query string that refuses unknown and malformed parameters by name.
///
/// Decoded as HTML forms are (`+` is a space), the way Python's `requests` and so `databricks-sdk` encode
/// query strings (`filter=userName+eq+"a@x.com"`); a literal plus arrives as `%2B`.
struct QueryParameters {
    private let pairs: [(key: String, value: String)]

    init(_ request: Request, allowed: Set<String>) throws {
        let query = request.uri.query ?? ""
        pairs = query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
        if let unknown = pairs.first(where: { !allowed.contains($0.key) }) {
            throw VigilError(.invalidParameter, "unknown query parameter '\(unknown.key)'; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
    }

    func string(_ key: String) throws -> String? {
        let values = pairs.filter { $0.key == key }.map(\.value)
        if values.count > 1 { throw VigilError(.invalidParameter, "\(key) may be given only once") }
        guard let value = values.first else { return nil }
        if value.isEmpty { throw VigilError(.invalidParameter, "\(key) must not be empty") }
        return value
    }

    /// Like `string`, but an empty value is no value: what an HTML form sends for an empty box or an "all" option.
    func formValue(_ key: String) throws -> String? {
        let values = pairs.filter { $0.key == key }.map(\.value)
        if values.count > 1 { throw VigilError(.invalidParameter, "\(key) may be given only once") }
        return values.first.flatMap { $0.isEmpty ? nil : $0 }
    }

    func all(_ key: String) throws -> [String] {
        let values = pairs.filter { $0.key == key }.map(\.value)
        if values.contains(where: \.isEmpty) { throw VigilError(.invalidParameter, "\(key) must not be empty") }
        return values
    }

    func instant(_ key: String) throws -> Int64? {
        guard let raw = try string(key) else { return nil }
        // An unencoded `+01:00` offset arrives as a space; an instant never holds one otherwise.
        let text = raw.replacingOccurrences(of: " ", with: "+")
        guard let millis = Timestamp.parseInstant(text) else {
            throw VigilError(.invalidParameter, "\(key) must be RFC 3339 (2024-01-01T00:00:00Z) or epoch milliseconds, got '\(text.prefix(64))'")
        }
        return millis
    }

    func integer(_ key: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw VigilError(.invalidParameter, "\(key) must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text.prefix(32))'")
        }
        return value
    }
}
