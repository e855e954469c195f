import Hummingbird
import VigilCore

/// Typed access to a request's query string that refuses unknown and malformed parameters by name.
struct QueryParameters {
    private let pairs: [(key: String, value: String)]

    init(_ request: Request, allowed: Set<String>) throws {
        pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
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

    func all(_ key: String) throws -> [String] {
        let values = pairs.filter { $0.key == key }.map(\.value)
        if values.contains(where: \.isEmpty) { throw VigilError(.invalidParameter, "\(key) must not be empty") }
        return values
    }

    func instant(_ key: String) throws -> Int64? {
        guard let text = try string(key) else { return nil }
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
