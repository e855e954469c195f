import VigilCore

/// Makes a structured line searchable: a message that is a JSON object gives its members as fields (strings as they
/// are, numbers and booleans as their text, nested values as compact JSON) and its level from `level`, `severity`,
/// `levelname`, `log.level` or `lvl`. Any other message has no fields. Cheap for plain text: only a message that
/// starts with `{` is parsed.
public enum MessageFields {
    public static let levelKeys: Set<String> = ["level", "severity", "levelname", "log.level", "lvl", "loglevel"]
    /// A message this long is not parsed (it is still stored and searchable as text).
    public static let maxParsedBytes = 64 << 10

    public static func extract(_ message: String) -> (level: String?, members: [JSONMember]) {
        var utf8 = message.utf8.drop { $0 == 0x20 || $0 == 0x09 }
        guard utf8.first == UInt8(ascii: "{"), message.utf8.count <= maxParsedBytes else { return (nil, []) }
        while let last = utf8.last, last == 0x20 || last == 0x09 || last == 0x0D { utf8 = utf8.dropLast() }
        guard utf8.last == UInt8(ascii: "}") else { return (nil, []) }
        guard case .object(let members)? = try? JSONParser.parse(Array(utf8), maxDepth: 16) else { return (nil, []) }
        var level: String?
        for member in members where level == nil && levelKeys.contains(member.key.lowercased()) {
            if case .string(let text) = member.value { level = LogLevel.normalized(text) }
        }
        return (level, members)
    }

    /// `members` as a JSON object of strings, or nil when there are none. A later member of the same name wins.
    public static func json(_ members: [JSONMember]) -> String? {
        var seen: Set<String> = []
        var kept: [JSONMember] = []
        for member in members.reversed() where seen.insert(member.key).inserted {
            guard let text = text(of: member.value) else { continue }
            kept.append(JSONMember(member.key, .string(text)))
        }
        guard !kept.isEmpty else { return nil }
        return JSONWriter.text(of: .object(kept.reversed()))
    }

    /// A value as a field's string: strings as they are, numbers as written, booleans as true/false, nested
    /// values as compact JSON; null is no value.
    public static func text(of value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .array, .object: JSONWriter.text(of: value)
        }
    }
}
