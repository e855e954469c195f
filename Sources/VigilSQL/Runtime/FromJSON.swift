import VigilCore

/// Spark's `from_json` (PERMISSIVE) and `to_json` over Vigil's JSON representation of complex values.
public enum FromJSON {
    /// Parses `text` as `type`; malformed JSON or a top-level mismatch gives nil, a mismatched field gives null.
    public static func fromJSON(_ text: String, as type: SparkType) -> String? {
        guard let document = try? JSONParser.parse(text) else { return nil }
        let converted: JSONValue?
        switch (type, document) {
        case (.array(let element), .array):
            converted = convert(document, to: type)
            _ = element
        case (.array(let element), .object) where { if case .struct = element { true } else { false } }():
            // SPARK-19595: a single object is read as a one-element array of structs.
            converted = convert(.array([document]), to: type)
        case (.struct, .object), (.map, .object):
            converted = convert(document, to: type)
        default:
            converted = nil
        }
        guard let converted, converted != .null else { return nil }
        return JSONWriter.text(of: converted)
    }

    static func convert(_ value: JSONValue, to type: SparkType) -> JSONValue {
        if value == .null { return .null }
        switch type {
        case .string:
            switch value {
            case .string: return value
            case .number(let text): return .string(text)
            case .bool(let flag): return .string(flag ? "true" : "false")
            default: return .string(JSONWriter.text(of: value))
            }
        case .int, .bigint:
            guard case .number(let text) = value, let number = Int64(text) else { return .null }
            if type == .int, Int32(exactly: number) == nil { return .null }
            return .number(String(number))
        case .double, .decimal:
            guard case .number(let text) = value, Double(text) != nil else { return .null }
            return value
        case .boolean:
            guard case .bool = value else { return .null }
            return value
        case .date:
            guard case .string(let text) = value, let day = SparkDateTime.parseDate(text, pattern: nil) else { return .null }
            return .string(day)
        case .timestamp:
            guard case .string(let text) = value, let millis = SparkDateTime.parseTimestamp(text, pattern: nil) else { return .null }
            return .number(String(millis))
        case .array(let element):
            guard case .array(let items) = value else { return .null }
            return .array(items.map { convert($0, to: element) })
        case .map(_, let valueType):
            guard case .object(let members) = value else { return .null }
            return .object(members.map { JSONMember($0.key, convert($0.value, to: valueType)) })
        case .struct(let fields):
            guard case .object(let members) = value else { return .null }
            return .object(fields.map { field in
                let member = members.first { $0.key == field.name } ?? members.first { $0.key.lowercased() == field.name.lowercased() }
                return JSONMember(field.name, member.map { convert($0.value, to: field.type) } ?? .null)
            })
        case .null, .interval:
            return .null
        }
    }

    /// `to_json`: the value's JSON with timestamps as ISO-8601 text, as Spark writes them.
    public static func toJSON(_ text: String, as type: SparkType) -> String {
        guard let document = try? JSONParser.parse(text) else { return text }
        return JSONWriter.text(of: external(document, type))
    }

    /// Converts Vigil's stored JSON of a complex value to what clients see: timestamps as ISO text.
    static func external(_ value: JSONValue, _ type: SparkType) -> JSONValue {
        switch (type, value) {
        case (.timestamp, .number(let text)):
            return Int64(text).map { .string(SparkDateTime.isoString(millis: $0)) } ?? value
        case (.array(let element), .array(let items)):
            return .array(items.map { external($0, element) })
        case (.map(_, let valueType), .object(let members)):
            return .object(members.map { JSONMember($0.key, external($0.value, valueType)) })
        case (.struct(let fields), .object(let members)):
            // Spark's to_json leaves out null struct fields.
            return .object(members.compactMap { member in
                guard member.value != .null else { return nil }
                let fieldType = fields.first { $0.name == member.key }?.type ?? .string
                return JSONMember(member.key, external(member.value, fieldType))
            })
        default:
            return value
        }
    }
}
