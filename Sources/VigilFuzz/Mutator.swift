/// Mutations of a corpus entry that keep most of its structure: the result is usually almost valid, which is
/// where parsers and decoders break. Token-level for text (SQL), byte-level for anything.
struct Mutator {
    var random: SplitMix

    static let edgeNumbers = [
        "0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "18446744073709551616", "1e308", "1e309", "-1e309", "1e-400", "0.0000001", "3.14159",
        "99999999999999999999999999999999999999", "1.7976931348623157E308", "253402300799999", "253402300800000",
        "-62135596800001", "4294967296",
    ]

    static let edgeStrings = [
        "", " ", "\\u0000", "\\ud800", "\\udfff", "\u{202E}", "\u{2028}", "\u{85}", "\u{1B}[2J", "\r\n", "<script>", "=cmd|' /C calc'!A0",
        "${jndi:ldap://x}", "%n%n%n", "é", "😀", "'", "\\\"", "\\\\", String(repeating: "a", count: 1000),
    ]

    /// Splits text into words, numbers, quoted strings and single punctuation characters.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                current.append(character)
                if character == open { tokens.append(current); current = ""; quote = nil }
                continue
            }
            if character == "'" || character == "\"" || character == "`" {
                if !current.isEmpty { tokens.append(current); current = "" }
                quote = character
                current.append(character)
            } else if character.isLetter || character.isNumber || character == "_" || character == "." {
                current.append(character)
            } else {
                if !current.isEmpty { tokens.append(current); current = "" }
                tokens.append(String(character))
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    mutating func mutate(text: String, splice: String) -> String {
        var tokens = Self.tokens(text)
        guard !tokens.isEmpty else { return text }
        for _ in 0..<(1 + random.below(3)) {
            let at = random.below(tokens.count)
            switch random.below(9) {
            case 0: tokens.remove(at: at)
            case 1: tokens.insert(random.pick(tokens), at: at)
            case 2:
                let end = min(tokens.count, at + 1 + random.below(8))
                let span = tokens[at..<end]
                tokens.insert(contentsOf: Array(repeating: Array(span), count: 1 + random.below(random.chance(10) ? 2000 : 20)).flatMap { $0 }, at: at)
            case 3 where tokens[at].first?.isNumber == true: tokens[at] = random.pick(Self.edgeNumbers)
            case 4 where tokens[at].first == "'": tokens[at] = "'" + random.pick(Self.edgeStrings).replacingOccurrences(of: "'", with: "\\'") + "'"
            case 5:
                let depth = random.pick([1, 10, 60, 200, 1000])
                tokens.insert(String(repeating: "(", count: depth), at: at)
                tokens.insert(String(repeating: ")", count: depth), at: min(tokens.count, at + 2))
            case 6:
                let other = Self.tokens(splice)
                if !other.isEmpty {
                    let start = random.below(other.count)
                    tokens.insert(contentsOf: other[start..<min(other.count, start + 1 + random.below(10))], at: at)
                }
            case 7: tokens.insert(random.pick(["+", "-", "*", "/", "(", ")", ",", "'", "::", "[", "]", ";", "--", "/*", "?", ":p", "`"]), at: at)
            default: tokens.swapAt(at, random.below(tokens.count))
            }
            if tokens.isEmpty { return "" }
        }
        return tokens.joined(separator: random.chance(80) ? " " : "")
    }

    mutating func mutate(bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<(1 + random.below(4)) {
            guard !bytes.isEmpty else { return [UInt8(truncatingIfNeeded: random.next())] }
            let at = random.below(bytes.count)
            switch random.below(6) {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(random.pick([0x00, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x0A, 0xC3, 0xFF, 0xED, 0xA0]), at: at)
            case 3:
                let end = min(bytes.count, at + 1 + random.below(32))
                bytes.insert(contentsOf: bytes[at..<end], at: at)
            case 4: bytes.removeSubrange(at..<min(bytes.count, at + random.below(64)))
            default: bytes[at] ^= UInt8(1 << random.below(8))
            }
        }
        return bytes
    }
}
