import Foundation
import Synchronization

/// LIKE, RLIKE, regexp_extract, regexp_replace and split with Spark's semantics. Regular expressions are Java's;
/// NSRegularExpression (ICU) reads the common syntax the same way.
public enum SparkPatterns {
    private static let cache = Mutex<[String: NSRegularExpression]>([:])

    /// The compiled pattern; INVALID_PARAMETER_VALUE.PATTERN (worded as Spark words it) when it is not one.
    static func regex(_ pattern: String, function: String) throws(SparkRuntimeError) -> NSRegularExpression {
        if let cached = cache.withLock({ $0[pattern] }) { return cached }
        let compiled: NSRegularExpression
        do {
            compiled = try NSRegularExpression(pattern: pattern)
        } catch {
            throw SparkRuntimeError(.invalidPattern, "The value of parameter(s) `regexp` in `\(function)` is invalid: '\(pattern.prefix(256))'")
        }
        cache.withLock { cache in
            if cache.count > 256 { cache.removeAll() }
            cache[pattern] = compiled
        }
        return compiled
    }

    /// Spark LIKE: `%` any run, `_` one character, `\` escapes; the whole value must match. The matcher
    /// backtracks to the last `%`, which is quadratic at worst (a 1 MiB value against `%a%a…b`), so it asks
    /// `interrupted` every 65,536 steps whether the statement must stop.
    public static func like(
        _ value: String, pattern: String, caseInsensitive: Bool, interrupted: Interruption = { false }
    ) throws(SparkRuntimeError) -> Bool {
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
        var steps = 0
        while s < subject.count {
            steps &+= 1
            if steps & 0xFFFF == 0, interrupted() { throw .stopped }
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

    /// Says whether the running statement must stop (its time limit passed or it was canceled). ICU calls back
    /// periodically even inside a catastrophically backtracking match, so a regex cannot outlive its statement.
    public typealias Interruption = () -> Bool

    /// Matches of `expression` in `value` (only the first when `first`), or an error when `interrupted` said stop.
    static func matches(
        _ expression: NSRegularExpression, in value: String, first: Bool, interrupted: Interruption
    ) throws(SparkRuntimeError) -> [NSTextCheckingResult] {
        var found: [NSTextCheckingResult] = []
        var stopped = false
        // The block is declared escaping but runs only during the call.
        withoutActuallyEscaping(interrupted) { interrupted in
            expression.enumerateMatches(in: value, options: .reportProgress, range: NSRange(value.startIndex..., in: value)) { match, _, stop in
                if let match {
                    found.append(match)
                    if first { stop.pointee = true }
                } else if interrupted() {
                    stopped = true
                    stop.pointee = true
                }
            }
        }
        if stopped { throw SparkRuntimeError.stopped }
        return found
    }

    public static func rlike(_ value: String, regex pattern: String, interrupted: Interruption = { false }) throws(SparkRuntimeError) -> Bool {
        try !matches(regex(pattern, function: "rlike"), in: value, first: true, interrupted: interrupted).isEmpty
    }

    public static func regexpExtract(
        _ value: String, regex pattern: String, group: Int, interrupted: Interruption = { false }
    ) throws(SparkRuntimeError) -> String {
        let expression = try regex(pattern, function: "regexp_extract")
        guard group >= 0, group <= expression.numberOfCaptureGroups else {
            throw SparkRuntimeError(
                .regexGroupIndex,
                "The value of parameter(s) `idx` in `regexp_extract` is invalid: Expects group index between 0 and \(expression.numberOfCaptureGroups), but got \(group)")
        }
        guard let match = try matches(expression, in: value, first: true, interrupted: interrupted).first,
            let range = Range(match.range(at: group), in: value)
        else { return "" }
        return String(value[range])
    }

    public static func regexpReplace(
        _ value: String, regex pattern: String, replacement: String, interrupted: Interruption = { false }
    ) throws(SparkRuntimeError) -> String {
        let expression = try regex(pattern, function: "regexp_replace")
        var result = ""
        var start = value.startIndex
        for match in try matches(expression, in: value, first: false, interrupted: interrupted) {
            guard let range = Range(match.range, in: value) else { continue }
            result += value[start..<range.lowerBound]
            result += expression.replacementString(for: match, in: value, offset: 0, template: replacement)
            start = range.upperBound
        }
        return result + value[start...]
    }

    /// Java's String.split with Spark's default limit -1 (trailing empty strings kept).
    public static func split(_ value: String, regex pattern: String, limit: Int = -1, interrupted: Interruption = { false }) throws(SparkRuntimeError) -> [String] {
        let expression = try regex(pattern, function: "split")
        var parts: [String] = []
        var start = value.startIndex
        for match in try matches(expression, in: value, first: false, interrupted: interrupted) {
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
