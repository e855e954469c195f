/// A Sigma `condition` (`selection and not 1 of filter_*`), parsed against the rule's search identifiers.
/// Precedence, loosest first: `or`, `and`, `not`, `x of`, parentheses.
indirect enum SigmaCondition: Sendable, Equatable {
    case identifier(Int)
    case and(SigmaCondition, SigmaCondition)
    case or(SigmaCondition, SigmaCondition)
    case not(SigmaCondition)
    case oneOf([Int])
    case allOf([Int])

    // Evaluated by `SigmaDetection.matches`, short-circuit: an operand is tested only when the answer matters.

    /// Parses `text`; `names` are the search identifiers in document order.
    static func parse(_ text: String, names: [String]) throws(ConditionError) -> SigmaCondition {
        var parser = ConditionParser(tokens: try ConditionParser.tokenize(text), names: names)
        let condition = try parser.expression()
        if parser.position < parser.tokens.count {
            throw ConditionError("unexpected '\(parser.tokens[parser.position])' after a complete condition")
        }
        return condition
    }
}

struct ConditionError: Error, Sendable {
    let message: String
    init(_ message: String) { self.message = message }
}

struct ConditionParser {
    let tokens: [String]
    let names: [String]
    var position = 0
    var depth = 0
    static let maxDepth = 32

    static func tokenize(_ text: String) throws(ConditionError) -> [String] {
        if text.contains("|") {
            throw ConditionError(
                "aggregation expressions ('| count() by …', 'near') are obsolete in Sigma v2 and not supported; write a correlation rule")
        }
        if text.count > 4096 { throw ConditionError("the condition is longer than 4096 characters") }
        var tokens: [String] = []
        var current = ""
        for character in text {
            if character == "(" || character == ")" || character.isWhitespace {
                if !current.isEmpty { tokens.append(current) }
                current = ""
                if !character.isWhitespace { tokens.append(String(character)) }
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        if tokens.isEmpty { throw ConditionError("the condition is empty") }
        return tokens
    }

    var peek: String? { position < tokens.count ? tokens[position] : nil }

    mutating func next() -> String? {
        defer { position += 1 }
        return peek
    }

    mutating func expression() throws(ConditionError) -> SigmaCondition {
        var left = try conjunction()
        while peek?.lowercased() == "or" {
            position += 1
            left = .or(left, try conjunction())
        }
        return left
    }

    mutating func conjunction() throws(ConditionError) -> SigmaCondition {
        var left = try negation()
        while peek?.lowercased() == "and" {
            position += 1
            left = .and(left, try negation())
        }
        return left
    }

    mutating func negation() throws(ConditionError) -> SigmaCondition {
        if peek?.lowercased() == "not" {
            position += 1
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw ConditionError("'not' nests deeper than \(Self.maxDepth)") }
            return .not(try negation())
        }
        return try primary()
    }

    mutating func primary() throws(ConditionError) -> SigmaCondition {
        guard let token = next() else { throw ConditionError("the condition ends where an identifier or '(' was expected") }
        if token == "(" {
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw ConditionError("parentheses nest deeper than \(Self.maxDepth)") }
            let inner = try expression()
            guard next() == ")" else { throw ConditionError("a '(' is never closed") }
            return inner
        }
        if token == ")" { throw ConditionError("unexpected ')'") }
        let lowered = token.lowercased()
        if ["and", "or", "of"].contains(lowered) { throw ConditionError("'\(token)' where an identifier was expected") }
        if (lowered == "all" || Int(lowered) != nil), peek?.lowercased() == "of" {
            position += 1
            guard let pattern = next(), pattern != "(", pattern != ")" else {
                throw ConditionError("'\(token) of' needs a pattern (selection*) or 'them'")
            }
            let indices = try matching(pattern)
            if lowered == "all" { return .allOf(indices) }
            guard lowered == "1" else {
                throw ConditionError("'\(token) of' is not supported: Sigma defines '1 of' and 'all of'")
            }
            return .oneOf(indices)
        }
        guard let index = names.firstIndex(of: token) else {
            throw ConditionError("'\(token)' is not a search identifier of this rule; it has: \(names.joined(separator: ", "))")
        }
        return .identifier(index)
    }

    /// `them` is every identifier not starting with `_`; otherwise a name with `*` wildcards.
    func matching(_ pattern: String) throws(ConditionError) -> [Int] {
        let indices: [Int]
        if pattern.lowercased() == "them" {
            indices = names.indices.filter { !names[$0].hasPrefix("_") }
        } else {
            let glob = Glob(pattern, cased: true)
            indices = names.indices.filter { glob.matches(names[$0]) }
        }
        if indices.isEmpty { throw ConditionError("'\(pattern)' matches no search identifier of this rule") }
        return indices
    }
}
