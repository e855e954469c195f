import VigilCore

/// SCIM `filter` expressions as Databricks accepts them: `attr op value` with `eq`, `ne`, `co`, `sw` (also
/// `ew`, `pr`), joined by `and` (binding tighter) and `or`, with optional parentheses. String comparisons are
/// case-insensitive (RFC 7644 §3.4.2.2 for non-caseExact attributes).
indirect enum SCIMFilter: Equatable {
    case compare(attribute: String, op: String, value: String?)
    case and(SCIMFilter, SCIMFilter)
    case or(SCIMFilter, SCIMFilter)

    static let operators: Set<String> = ["eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le"]

    /// Conditions one filter may join: `and`/`or` chains build a tree as deep as they are long, and matching
    /// walks it recursively.
    static let maxConditions = 100

    static func parse(_ text: String) throws -> SCIMFilter {
        let tokens = try tokenize(text)
        let conditions = tokens.filter { $0 == .word("and") || $0 == .word("AND") || $0 == .word("or") || $0 == .word("OR") }.count + 1
        guard conditions <= maxConditions else {
            throw VigilError(.invalidParameter, "invalid filter: more than \(maxConditions) conditions; narrow it or page through the results")
        }
        var parser = Parser(tokens: tokens)
        let filter = try parser.parseOr()
        guard parser.index == parser.tokens.count else {
            throw VigilError(.invalidParameter, "invalid filter: unexpected '\(parser.tokens[parser.index])'")
        }
        return filter
    }

    /// Whether a resource with these attribute values (lower-cased names) matches.
    func matches(_ attributes: [String: [String]]) -> Bool {
        switch self {
        case .and(let a, let b): return a.matches(attributes) && b.matches(attributes)
        case .or(let a, let b): return a.matches(attributes) || b.matches(attributes)
        case .compare(let attribute, let op, let value):
            let values = attributes[attribute.lowercased()] ?? []
            if op == "pr" { return !values.isEmpty }
            guard let wanted = value?.lowercased() else { return false }
            let lowered = values.map { $0.lowercased() }
            switch op {
            case "eq": return lowered.contains(wanted)
            case "ne": return !lowered.contains(wanted)
            case "co": return lowered.contains { $0.contains(wanted) }
            case "sw": return lowered.contains { $0.hasPrefix(wanted) }
            case "ew": return lowered.contains { $0.hasSuffix(wanted) }
            case "gt": return lowered.contains { $0 > wanted }
            case "ge": return lowered.contains { $0 >= wanted }
            case "lt": return lowered.contains { $0 < wanted }
            default: return lowered.contains { $0 <= wanted }
            }
        }
    }

    enum Token: Equatable, CustomStringConvertible {
        case word(String), string(String), open, close
        var description: String {
            switch self {
            case .word(let word): word
            case .string(let text): "\"\(text)\""
            case .open: "("
            case .close: ")"
            }
        }
    }

    static func tokenize(_ text: String) throws -> [Token] {
        var tokens: [Token] = []
        var characters = Array(text)[...]
        while let first = characters.first {
            if first.isWhitespace {
                characters = characters.dropFirst()
            } else if first == "(" || first == ")" {
                tokens.append(first == "(" ? .open : .close)
                characters = characters.dropFirst()
            } else if first == "\"" {
                characters = characters.dropFirst()
                var value = ""
                while let next = characters.first, next != "\"" {
                    if next == "\\", characters.count > 1 {
                        value.append(characters[characters.startIndex + 1])
                        characters = characters.dropFirst(2)
                        continue
                    }
                    value.append(next)
                    characters = characters.dropFirst()
                }
                guard characters.first == "\"" else { throw VigilError(.invalidParameter, "invalid filter: unterminated string") }
                characters = characters.dropFirst()
                tokens.append(.string(value))
            } else {
                var word = ""
                while let next = characters.first, !next.isWhitespace, next != "(", next != ")" {
                    word.append(next)
                    characters = characters.dropFirst()
                }
                tokens.append(.word(word))
            }
        }
        return tokens
    }

    struct Parser {
        var tokens: [Token]
        var index = 0
        /// Parenthesis nesting, bounded so a hostile filter cannot exhaust the stack.
        var depth = 0

        mutating func parseOr() throws -> SCIMFilter {
            var left = try parseAnd()
            while index < tokens.count, tokens[index] == .word("or") || tokens[index] == .word("OR") {
                index += 1
                left = .or(left, try parseAnd())
            }
            return left
        }

        mutating func parseAnd() throws -> SCIMFilter {
            var left = try parsePrimary()
            while index < tokens.count, tokens[index] == .word("and") || tokens[index] == .word("AND") {
                index += 1
                left = .and(left, try parsePrimary())
            }
            return left
        }

        mutating func parsePrimary() throws -> SCIMFilter {
            guard index < tokens.count else { throw VigilError(.invalidParameter, "invalid filter: it ends too early") }
            if tokens[index] == .open {
                index += 1
                depth += 1
                defer { depth -= 1 }
                guard depth <= 50 else { throw VigilError(.invalidParameter, "invalid filter: nested deeper than 50 parentheses") }
                let inner = try parseOr()
                guard index < tokens.count, tokens[index] == .close else { throw VigilError(.invalidParameter, "invalid filter: missing ')'") }
                index += 1
                return inner
            }
            guard case .word(let attribute) = tokens[index], index + 1 < tokens.count, case .word(let opWord) = tokens[index + 1] else {
                throw VigilError(.invalidParameter, "invalid filter: expected 'attribute operator value'")
            }
            let op = opWord.lowercased()
            guard operators.contains(op) else {
                throw VigilError(.invalidParameter, "invalid filter: unknown operator '\(opWord)'; use eq, ne, co, sw, ew or pr")
            }
            index += 2
            if op == "pr" { return .compare(attribute: attribute, op: op, value: nil) }
            guard index < tokens.count else { throw VigilError(.invalidParameter, "invalid filter: \(attribute) \(op) needs a value") }
            let value: String
            switch tokens[index] {
            case .string(let text): value = text
            case .word(let word): value = word
            default: throw VigilError(.invalidParameter, "invalid filter: \(attribute) \(op) needs a value")
            }
            index += 1
            return .compare(attribute: attribute, op: op, value: value)
        }
    }
}
