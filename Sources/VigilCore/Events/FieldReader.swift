/// Reads typed members out of one event object and records a `ValidationProblem` for each wrong one.
/// Every member read is remembered, so whatever is left over is reported as `unknown_field`.
struct FieldReader {
    let index: Int
    let members: [JSONMember]
    let shape: ShapeNames.Type
    private(set) var problems: [ValidationProblem] = []

    init(index: Int, members: [JSONMember], shape: ShapeNames.Type) {
        self.index = index
        self.members = members
        self.shape = shape
        // Events have a couple of dozen members at most: a pairwise scan beats building a Set per event.
        for (position, member) in members.enumerated() where members[..<position].contains(where: { $0.key == member.key }) {
            report(member.key, .duplicateField, "the member appears more than once")
        }
    }

    mutating func report(_ field: String, _ reason: ValidationReason, _ detail: String) {
        problems.append(ValidationProblem(index: index, field: field, reason: reason, detail: detail))
    }

    func value(_ key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    mutating func requiredString(_ key: String, missing: ValidationReason) -> String? {
        switch value(key) {
        case nil, .null?:
            report(key, missing, "\(key) is required")
            return nil
        case .string(let text)?:
            if text.isEmpty { report(key, missing, "\(key) must not be empty"); return nil }
            return checkedText(text, key)
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want string")
            return nil
        }
    }

    mutating func optionalString(_ key: String) -> String? {
        switch value(key) {
        case nil, .null?: return nil
        case .string(let text)?: return checkedText(text, key)
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want string")
            return nil
        }
    }

    /// A string, or an integer given as a number (older docs typed `workspace_id` as LONG).
    mutating func identifierText(_ key: String) -> String? {
        if case .number(let text)? = value(key) {
            guard Int64(text) != nil else {
                report(key, .wrongType, "got a non-integer number, want string")
                return nil
            }
            return text
        }
        return optionalString(key)
    }

    mutating func rfc3339(_ key: String, missing: ValidationReason = .missingEventTime, invalid: ValidationReason = .invalidEventTime) -> Int64? {
        switch value(key) {
        case nil, .null?:
            report(key, missing, "\(key) is required")
            return nil
        case .string(let text)?:
            guard let millis = Timestamp.parseRFC3339(text) else {
                report(key, invalid, "got \"\(text.prefix(64))\", want RFC 3339 such as 2024-01-01T12:00:00.000Z")
                return nil
            }
            return millis
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want an RFC 3339 string")
            return nil
        }
    }

    mutating func epochMillis(_ key: String) -> Int64? {
        switch value(key) {
        case nil, .null?:
            report(key, .missingEventTime, "\(key) is required")
            return nil
        case .number(let text)?:
            guard let millis = Int64(text), millis >= Timestamp.minMillis, millis <= Timestamp.maxMillis else {
                report(key, .invalidEventTime, "got \(text.prefix(32)), want integer epoch milliseconds")
                return nil
            }
            return millis
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want integer epoch milliseconds")
            return nil
        }
    }

    /// A struct of optional strings; returns the field values in `fields` order, or nil when absent/null.
    mutating func object(_ key: String, fields: [String]) -> [String?]? {
        switch value(key) {
        case nil, .null?: return nil
        case .object(let inner)?:
            var result: [String?] = Array(repeating: nil, count: fields.count)
            var seen = Set<String>()
            for member in inner {
                let path = "\(key).\(member.key)"
                guard seen.insert(member.key).inserted else {
                    report(path, .duplicateField, "the member appears more than once")
                    continue
                }
                guard let position = fields.firstIndex(of: member.key) else {
                    report(path, .unknownField, "want one of \(fields.joined(separator: ", "))")
                    continue
                }
                switch member.value {
                case .null: break
                case .string(let text): result[position] = checkedText(text, path)
                default: report(path, .wrongType, "got \(member.value.typeName), want string")
                }
            }
            return result
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want object")
            return nil
        }
    }

    /// `response`: `status_code` is an INT, the other two strings.
    mutating func response(_ key: String, fields: [String]) -> EventResponse? {
        guard case .object(let inner)? = value(key) else {
            return object(key, fields: fields).map { _ in EventResponse() }
        }
        var statusCode: Int32?
        var stringMembers: [JSONMember] = []
        var sawStatusCode = false
        for member in inner {
            if member.key == fields[0] {
                // The same rule as every other member: a repeated key is refused, not resolved by "last wins".
                guard !sawStatusCode else {
                    report("\(key).\(member.key)", .duplicateField, "the member appears more than once")
                    continue
                }
                sawStatusCode = true
                switch member.value {
                case .null: break
                case .number(let text):
                    if let code = Int32(text) { statusCode = code } else {
                        report("\(key).\(member.key)", .invalidStatusCode, "got \(text.prefix(32)), want a 32-bit integer")
                    }
                default: report("\(key).\(member.key)", .wrongType, "got \(member.value.typeName), want integer")
                }
            } else {
                stringMembers.append(member)
            }
        }
        var nested = FieldReader(index: index, members: [JSONMember(key, .object(stringMembers))], shape: shape)
        let strings = nested.object(key, fields: fields) ?? [nil, nil, nil]
        problems.append(contentsOf: nested.problems)
        return EventResponse(statusCode: statusCode, errorMessage: strings[1], result: strings[2])
    }

    /// `request_params` is `MAP<STRING, STRING>`: strings stay as they are; a nested object or array is
    /// stored as its compact JSON text, a number as its literal text, a boolean as `true`/`false`; a JSON
    /// null value is dropped (a map value cannot be absent and present at once).
    mutating func requestParams(_ key: String) -> [(key: String, value: String)]? {
        switch value(key) {
        case nil, .null?: return nil
        case .object(let inner)?:
            var pairs: [(key: String, value: String)] = []
            var seen = Set<String>()
            for member in inner {
                guard seen.insert(member.key).inserted else {
                    report("\(key).\(member.key)", .duplicateField, "the key appears more than once")
                    continue
                }
                _ = checkedText(member.key, "\(key).\(member.key)")
                switch member.value {
                case .null: continue
                case .string(let text): pairs.append((member.key, checkedText(text, "\(key).\(member.key)")))
                case .number(let text): pairs.append((member.key, text))
                case .bool(let flag): pairs.append((member.key, flag ? "true" : "false"))
                case .array, .object: pairs.append((member.key, JSONWriter.text(of: member.value)))
                }
            }
            return pairs
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want object")
            return nil
        }
    }

    /// Strings are stored as SQLite TEXT, whose binding ends at U+0000: refuse such strings instead of
    /// storing a truncated value (nested JSON text is safe: the writer escapes NUL as \u0000).
    mutating func checkedText(_ text: String, _ field: String) -> String {
        if text.utf8.contains(0) {
            report(field, .nulCharacter, "the string contains U+0000, which cannot be stored; remove it")
        }
        return text
    }

    mutating func reportUnknownMembers() {
        reportUnknownMembers(known: shape.allKeys, shapeName: shape == DeliveryShape.self ? "delivery" : "table")
    }

    mutating func reportUnknownMembers(known: Set<String>, shapeName: String) {
        for member in members where !known.contains(member.key) {
            report(member.key, .unknownField, "not a member of the \(shapeName) shape")
        }
    }
}
