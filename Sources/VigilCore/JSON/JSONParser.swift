/// A strict RFC 8259 parser over raw bytes.
///
/// Why not `JSONSerialization`/`JSONDecoder`: they lose member order and number text, accept some invalid
/// UTF-8 silently on Linux, and report errors without a byte offset. This parser rejects invalid UTF-8,
/// unescaped control characters, lone surrogates and nesting deeper than `maxDepth`, and names the offset.
public struct JSONParser {
    public static let defaultMaxDepth = 64

    private let bytes: [UInt8]
    private var index: Int
    private let end: Int
    private let maxDepth: Int
    /// Refuse an object that names a member twice. RFC 8259 leaves duplicates undefined and parsers disagree on
    /// which one wins, so a request that a proxy reads one way and Vigil another must not pass. (Ingest keeps
    /// them and reports each one as a validation problem with its index and field instead.)
    private let rejectsDuplicateKeys: Bool

    /// Parses `bytes[range]` (the whole buffer when `range` is nil).
    public init(
        bytes: [UInt8], range: Range<Int>? = nil, maxDepth: Int = JSONParser.defaultMaxDepth, rejectsDuplicateKeys: Bool = false
    ) {
        self.bytes = bytes
        self.index = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
        self.maxDepth = maxDepth
        self.rejectsDuplicateKeys = rejectsDuplicateKeys
    }

    /// Parses one complete JSON document; trailing non-whitespace is an error.
    public static func parse(
        _ bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth, rejectsDuplicateKeys: Bool = false
    ) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth, rejectsDuplicateKeys: rejectsDuplicateKeys)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    public mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if index < end { throw error("unexpected content after the JSON value") }
        return value
    }

    /// Parses a top-level array and returns each element with the byte length it occupied, so callers can
    /// enforce a per-element size limit without re-encoding.
    public mutating func parseArrayElements() throws(JSONParseError) -> [(value: JSONValue, byteCount: Int)] {
        skipWhitespace()
        guard index < end, bytes[index] == UInt8(ascii: "[") else { throw error("expected a JSON array") }
        index += 1
        var elements: [(value: JSONValue, byteCount: Int)] = []
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return elements
        }
        while true {
            skipWhitespace()
            let start = index
            let value = try parseValue(depth: 1)
            elements.append((value, index - start))
            skipWhitespace()
            guard index < end else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw error("expected ',' or ']' in array")
        }
        return elements
    }

    /// The byte offset the parser has reached.
    public var offset: Int { index }

    public mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` if it is next (after whitespace).
    public mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if index < end, bytes[index] == byte {
            index += 1
            return true
        }
        return false
    }

    public mutating func parseStringToken() throws(JSONParseError) -> String {
        skipWhitespace()
        guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string") }
        return try parseString()
    }

    public mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        guard index < end else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        var keys = Set<String>()
        while true {
            skipWhitespace()
            guard index < end, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let keyOffset = index
            let key = try parseString()
            if rejectsDuplicateKeys, !keys.insert(key).inserted {
                throw JSONParseError(offset: keyOffset, message: "duplicate member '\(key.prefix(64))'", isInvalidUTF8: false)
            }
            skipWhitespace()
            guard index < end, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after member name") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            members.append(JSONMember(key, value))
            skipWhitespace()
            guard index < end else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw error("expected ',' or '}' in object")
        }
        return .object(members)
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < end, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < end else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw error("expected ',' or ']' in array")
        }
        return .array(elements)
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard end - index >= count else { throw error("unexpected end of input") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        guard matches else { throw error("invalid literal") }
        index += count
    }

    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, isDigit(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < end, isDigit(bytes[index]) { index += 1 }
        }
        if index < end, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, isDigit(bytes[index]) else { throw error("invalid number: digit expected after '.'") }
            while index < end, isDigit(bytes[index]) { index += 1 }
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, isDigit(bytes[index]) else { throw error("invalid number: digit expected in exponent") }
            while index < end, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        var needsSlowPath = false
        // Fast path: plain ASCII without escapes is by far the common case.
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if !needsSlowPath {
                    let text = String(decoding: bytes[start..<index], as: UTF8.self)
                    index += 1
                    return text
                }
                break
            }
            if byte == UInt8(ascii: "\\") || byte >= 0x80 { needsSlowPath = true; break }
            if byte < 0x20 { throw error("unescaped control character in string") }
            index += 1
        }
        index = start
        return try parseStringSlow()
    }

    private mutating func parseStringSlow() throws(JSONParseError) -> String {
        var out: [UInt8] = []
        while true {
            guard index < end else { throw error("unterminated string") }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < end else { throw error("unterminated escape") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard end - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error("lone surrogate in \\u escape")
                        }
                        index += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("lone surrogate in \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw error("invalid escape sequence")
                }
            case 0..<0x20:
                throw error("unescaped control character in string")
            case 0..<0x80:
                out.append(byte)
                index += 1
            default:
                let length = try validUTF8SequenceLength(at: index)
                out.append(contentsOf: bytes[index..<(index + length)])
                index += length
            }
        }
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard end - index >= 4 else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Length of the well-formed UTF-8 sequence starting at `position` (Unicode Table 3-7), or an
    /// `invalidUTF8` error: overlong forms, surrogates and code points past U+10FFFF are rejected.
    private func validUTF8SequenceLength(at position: Int) throws(JSONParseError) -> Int {
        let first = bytes[position]
        let length: Int
        var lowerSecond: UInt8 = 0x80
        var upperSecond: UInt8 = 0xBF
        switch first {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowerSecond = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upperSecond = 0x9F
        case 0xF0: length = 4; lowerSecond = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upperSecond = 0x8F
        default: throw JSONParseError(offset: position, message: "invalid UTF-8", isInvalidUTF8: true)
        }
        guard end - position >= length else {
            throw JSONParseError(offset: position, message: "invalid UTF-8", isInvalidUTF8: true)
        }
        let second = bytes[position + 1]
        guard second >= lowerSecond, second <= upperSecond else {
            throw JSONParseError(offset: position, message: "invalid UTF-8", isInvalidUTF8: true)
        }
        for offset in 2..<max(2, length) where bytes[position + offset] & 0xC0 != 0x80 {
            throw JSONParseError(offset: position, message: "invalid UTF-8", isInvalidUTF8: true)
        }
        return length
    }

    private func error(_ message: String) -> JSONParseError {
        JSONParseError(offset: index, message: message, isInvalidUTF8: false)
    }
}

/// Why a document is not JSON, with the byte offset of the problem.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    /// True when the input is not valid UTF-8 (reported as `invalid_utf8`, not `malformed_json`).
    public var isInvalidUTF8: Bool

    public var description: String { "\(message) at byte \(offset)" }
}
