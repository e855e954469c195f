import Foundation
import VigilCore

/// An Alertmanager silence: while it is active, an alert whose labels match all its matchers notifies no one (it is
/// stored as SILENCED and audited as such). Same shape as Alertmanager's `POST /api/v2/silences`.
public struct Silence: Sendable, Equatable {
    public struct Matcher: Sendable, Equatable {
        public var name: String
        public var value: String
        public var isRegex: Bool
        public var isEqual: Bool

        public init(name: String, value: String, isRegex: Bool = false, isEqual: Bool = true) {
            self.name = name
            self.value = value
            self.isRegex = isRegex
            self.isEqual = isEqual
        }

        /// A missing label matches as the empty string, as in Alertmanager; a regex is anchored at both ends.
        public func matches(_ labels: [AlertNotice.Label]) -> Bool {
            let actual = labels.first { $0.name == name }?.value ?? ""
            let hit: Bool
            if isRegex {
                let regex = try? NSRegularExpression(pattern: "^(?:" + value + ")$")
                hit = regex?.firstMatch(in: actual, range: NSRange(actual.startIndex..., in: actual)) != nil
            } else {
                hit = actual == value
            }
            return hit == isEqual
        }

        /// `name=value`, `name!=value`, `name=~regex`, `name!~regex` (the command line's form).
        public static func parse(_ text: String) throws -> Matcher {
            for (op, isRegex, isEqual) in [("!~", true, false), ("=~", true, true), ("!=", false, false), ("=", false, true)] {
                if let range = text.range(of: op) {
                    let matcher = Matcher(name: String(text[..<range.lowerBound]).trimmingCharacters(in: .whitespaces),
                                          value: String(text[range.upperBound...]), isRegex: isRegex, isEqual: isEqual)
                    try matcher.validate(field: "matcher '\(text.prefix(128))'")
                    return matcher
                }
            }
            throw VigilError(.invalidParameter, "matcher '\(text.prefix(128))' must be name=value, name!=value, name=~regex or name!~regex")
        }

        func validate(field: String) throws {
            guard !name.isEmpty, AlertNotice.labelName(name) == name, name.utf8.count <= 128 else {
                throw VigilError(.invalidParameter, "\(field): the label name must match [a-zA-Z_][a-zA-Z0-9_]*")
            }
            guard value.utf8.count <= 1024 else { throw VigilError(.invalidParameter, "\(field): the value is longer than 1024 bytes") }
            if isRegex, (try? NSRegularExpression(pattern: "^(?:" + value + ")$")) == nil {
                throw VigilError(.invalidParameter, "\(field): '\(value.prefix(128))' is not a valid regular expression")
            }
        }

        public var json: JSONValue {
            .object([JSONMember("name", .string(name)), JSONMember("value", .string(value)), JSONMember("isRegex", .bool(isRegex)),
                     JSONMember("isEqual", .bool(isEqual))])
        }

        public var text: String { name + (isEqual ? (isRegex ? "=~" : "=") : (isRegex ? "!~" : "!=")) + value }
    }

    public enum Status: String, Sendable { case pending, active, expired }

    public var id: String
    public var matchers: [Matcher]
    public var startsMillis: Int64
    public var endsMillis: Int64
    public var comment: String
    public var createdBy: String
    public var createdMillis: Int64

    public init(id: String, matchers: [Matcher], startsMillis: Int64, endsMillis: Int64, comment: String, createdBy: String, createdMillis: Int64) {
        self.id = id
        self.matchers = matchers
        self.startsMillis = startsMillis
        self.endsMillis = endsMillis
        self.comment = comment
        self.createdBy = createdBy
        self.createdMillis = createdMillis
    }

    public func status(at now: Int64) -> Status {
        now < startsMillis ? .pending : now < endsMillis ? .active : .expired
    }

    public func matches(_ labels: [AlertNotice.Label]) -> Bool { matchers.allSatisfy { $0.matches(labels) } }

    public func json(at now: Int64) -> JSONValue {
        .object([
            JSONMember("id", .string(id)), JSONMember("matchers", .array(matchers.map(\.json))),
            JSONMember("startsAt", .string(Timestamp.formatRFC3339(millis: startsMillis))),
            JSONMember("endsAt", .string(Timestamp.formatRFC3339(millis: endsMillis))),
            JSONMember("createdBy", .string(createdBy)), JSONMember("comment", .string(comment)),
            JSONMember("status", .object([JSONMember("state", .string(status(at: now).rawValue))])),
        ])
    }

    /// Reads Alertmanager's postable silence (`matchers`, `startsAt`, `endsAt`, `comment`; `createdBy` is the caller).
    public static func decode(_ value: JSONValue, id: String, createdBy: String, now: Int64) throws -> Silence {
        guard case .object(let members) = value else { throw VigilError(.invalidParameter, "the silence must be a JSON object") }
        let allowed: Set = ["matchers", "startsAt", "endsAt", "comment", "createdBy", "id"]
        if let unknown = members.first(where: { !allowed.contains($0.key) }) {
            throw VigilError(.invalidParameter, "unknown field '\(unknown.key.prefix(64))'; allowed: \(allowed.sorted().joined(separator: ", "))")
        }
        guard case .array(let items)? = value["matchers"], !items.isEmpty else {
            throw VigilError(.invalidParameter, "matchers is required: a non-empty array of {name, value, isRegex, isEqual}")
        }
        guard items.count <= 32 else { throw VigilError(.invalidParameter, "matchers holds \(items.count); the most is 32") }
        let matchers = try items.enumerated().map { index, item -> Matcher in
            guard case .string(let name)? = item["name"], case .string(let text)? = item["value"] else {
                throw VigilError(.invalidParameter, "matchers[\(index)] needs a string name and value")
            }
            func flag(_ key: String, _ fallback: Bool) throws -> Bool {
                switch item[key] {
                case nil, .null?: return fallback
                case .bool(let flag)?: return flag
                default: throw VigilError(.invalidParameter, "matchers[\(index)].\(key) must be true or false")
                }
            }
            let matcher = Matcher(name: name, value: text, isRegex: try flag("isRegex", false), isEqual: try flag("isEqual", true))
            try matcher.validate(field: "matchers[\(index)]")
            return matcher
        }
        func time(_ key: String) throws -> Int64? {
            switch value[key] {
            case nil, .null?: return nil
            case .string(let text)?:
                guard let millis = Timestamp.parseRFC3339(text) else { throw VigilError(.invalidParameter, "\(key) must be an RFC 3339 time, not '\(text.prefix(64))'") }
                return millis
            default: throw VigilError(.invalidParameter, "\(key) must be an RFC 3339 time string")
            }
        }
        let starts = try time("startsAt") ?? now
        guard let ends = try time("endsAt") else { throw VigilError(.invalidParameter, "endsAt is required: when the silence ends") }
        guard ends > starts, ends > now else { throw VigilError(.invalidParameter, "endsAt must be after startsAt and in the future") }
        guard case .string(let comment)? = value["comment"], !comment.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw VigilError(.invalidParameter, "comment is required: why the alerts are silenced")
        }
        guard comment.utf8.count <= 4096 else { throw VigilError(.invalidParameter, "comment is longer than 4096 bytes") }
        return Silence(id: id, matchers: matchers, startsMillis: starts, endsMillis: ends, comment: comment, createdBy: createdBy, createdMillis: now)
    }
}
