import Foundation
import Synchronization

/// LIKE, RLIKE, regexp_extract, regexp_replace and split with Spark's semantics. Regular expressions are Java's;
/// NSRegularExpression (ICU) reads the common syntax the same way.
public enum SparkPatterns {
    public struct PatternError: Error, CustomStringConvertible {
        public var description: String
    }

    private static let cache = Mutex<[String: NSRegularExpression]>([:])

    static func regex(_ pattern: String) throws -> NSRegularExpression {
        if let cached = cache.withLock({ $0[pattern] }) { return cached }
        let compiled: NSRegularExpression
        do {
            compiled = try NSRegularExpression(pattern: pattern)
        } catch {
            throw PatternError(description: "[INVALID_PARAMETER_VALUE.PATTERN] invalid regular expression '\(pattern)'")
        }
        cache.withLock { cache in
            if cache.count > 256 { cache.removeAll() }
            cache[pattern] = compiled
        }
        return compiled
    }

    /// Spark LIKE: `%` any run, `_` one character, `\` escapes; the whole value must match.
    public static func like(_ value: String, pattern: String, caseInsensitive: Bool) -> Bool {
        let subject = Array(caseInsensitive ? value.lowercased() : value)
        var tokens: [(Character?, isAny: Bool)] = []
        var characters = Array(caseInsensitive ? pattern.lowercased() : pattern).makeIterator()
        while let character = characters.next() {
            switch character {
            case "\\": tokens.append((characters.next() ?? "\\", false))
            case "%": tokens.append((nil, true))
            case "_": tokens.append((nil, false))
            default: tokens.append((character, false))
            }
        }
        // Iterative wildcard matching with backtracking to the last `%`.
        var s = 0, p = 0, star = -1, mark = 0
        while s < subject.count {
            if p < tokens.count, !tokens[p].isAny, tokens[p].0 == nil || tokens[p].0 == subject[s] {
                s += 1
                p += 1
            } else if p < tokens.count, tokens[p].isAny {
                star = p
                mark = s
                p += 1
            } else if star >= 0 {
                p = star + 1
                mark += 1
                s = mark
            } else {
                return false
            }
        }
        while p < tokens.count, tokens[p].isAny { p += 1 }
        return p == tokens.count
    }

    public static func rlike(_ value: String, regex pattern: String) throws -> Bool {
        let range = NSRange(value.startIndex..., in: value)
        return try regex(pattern).firstMatch(in: value, range: range) != nil
    }

    public static func regexpExtract(_ value: String, regex pattern: String, group: Int) throws -> String {
        let expression = try regex(pattern)
        guard group >= 0, group <= expression.numberOfCaptureGroups else {
            throw PatternError(description: "[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] regexp_extract group \(group) is not in 0...\(expression.numberOfCaptureGroups)")
        }
        guard let match = expression.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)),
            let range = Range(match.range(at: group), in: value)
        else { return "" }
        return String(value[range])
    }

    public static func regexpReplace(_ value: String, regex pattern: String, replacement: String) throws -> String {
        try regex(pattern).stringByReplacingMatches(
            in: value, range: NSRange(value.startIndex..., in: value), withTemplate: replacement)
    }

    /// Java's String.split with Spark's default limit -1 (trailing empty strings kept).
    public static func split(_ value: String, regex pattern: String, limit: Int = -1) throws -> [String] {
        let expression = try regex(pattern)
        var parts: [String] = []
        var start = value.startIndex
        for match in expression.matches(in: value, range: NSRange(value.startIndex..., in: value)) {
            if limit > 0, parts.count == limit - 1 { break }
            guard let range = Range(match.range, in: value) else { continue }
            // A zero-width match at the very start does not produce a leading empty string.
            if range.isEmpty && range.lowerBound == value.startIndex { continue }
            if range.isEmpty && range.lowerBound == value.endIndex { continue }
            parts.append(String(value[start..<range.lowerBound]))
            start = range.upperBound
        }
        parts.append(String(value[start...]))
        return parts
    }
}
