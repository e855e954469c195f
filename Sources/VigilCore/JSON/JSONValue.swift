/// A parsed JSON value that keeps what `JSONDecoder` would lose: the order of object members and the exact
/// text of numbers. Vigil needs both: `request_params` values are stored as the producer's literal text, and
/// a field sent twice in one object must be detectable.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written in the input (already checked against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// The JSON type name used in validation messages ("got number, want string").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// The value of member `key` when this is an object (first occurrence).
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Member `key` as a string: nil when absent or null, and a refusal naming the field (`path` + `key`) and the type
    /// it has when it is something else.
    public func string(member key: String, path: String = "") throws -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw VigilError(.invalidParameter, "\(path)\(key) must be a string, not \(other.typeName)")
        }
    }

    /// Element `index` when this is an array and has it.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}

/// One `"key": value` pair of a JSON object, in input order.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}
