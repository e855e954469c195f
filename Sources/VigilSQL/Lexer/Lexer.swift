/// Splits statement text into tokens with positions. Spark's lexical rules: `--` and `/* */` comments,
/// single- or double-quoted string literals with backslash escapes (Spark treats "x" as a string, not an
/// identifier), backquoted identifiers with doubled backquotes.
///
/// It reads Unicode scalars (4 bytes each) rather than `Character`s (16 bytes and grapheme breaking), so a
/// 16 MiB statement costs 64 MiB at most while it is split; columns count scalars.
public struct Lexer {
    private let characters: [Unicode.Scalar]
    private var index = 0
    private var line = 1
    private var column = 1

    public init(_ text: String) {
        characters = Array(text.unicodeScalars)
    }

    /// - Parameter maxTokens: past this many tokens the statement is refused as too complex (a bound on the
    ///   memory the parser's token array may take).
    public static func tokenize(_ text: String, maxTokens: Int = .max) throws(SQLError) -> [Token] {
        var lexer = Lexer(text)
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
            if tokens.count >= maxTokens {
                throw SQLError(.tooComplex, "the statement has more than \(maxTokens) tokens", at: token.position)
            }
        }
    }

    private var position: SourcePosition { SourcePosition(line: line, column: column, offset: index) }

    private func peek(_ ahead: Int = 0) -> Unicode.Scalar? {
        index + ahead < characters.count ? characters[index + ahead] : nil
    }

    private mutating func advance() {
        if characters[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private mutating func skipTrivia() throws(SQLError) {
        while let character = peek() {
            if character.properties.isWhitespace {
                advance()
            } else if character == "-", peek(1) == "-" {
                while let next = peek(), next != "\n" { advance() }
            } else if character == "/", peek(1) == "*" {
                let start = position
                advance()
                advance()
                while true {
                    guard let next = peek() else { throw SQLError(.syntax, "unterminated /* comment", at: start) }
                    if next == "*", peek(1) == "/" {
                        advance()
                        advance()
                        break
                    }
                    advance()
                }
            } else {
                return
            }
        }
    }

    public mutating func next() throws(SQLError) -> Token {
        try skipTrivia()
        let start = position
        guard let character = peek() else { return Token(kind: .end, position: start) }

        if character.isWordStart {
            var word = String.UnicodeScalarView()
            while let next = peek(), next.isWordPart {
                word.append(next)
                advance()
            }
            return Token(kind: .word(String(word)), position: start)
        }
        if character.isDigit || (character == "." && (peek(1)?.isDigit ?? false)) {
            return Token(kind: .number(try number()), position: start)
        }
        switch character {
        case "'", "\"":
            return Token(kind: .string(try stringLiteral(quote: character, start: start)), position: start)
        case "`":
            advance()
            var name = String.UnicodeScalarView()
            while true {
                guard let next = peek() else { throw SQLError(.syntax, "unterminated backquoted identifier", at: start) }
                advance()
                if next == "`" {
                    if peek() == "`" {
                        name.append("`")
                        advance()
                        continue
                    }
                    break
                }
                name.append(next)
            }
            return Token(kind: .quotedIdentifier(String(name)), position: start)
        case ":":
            if peek(1) == ":" {
                advance()
                advance()
                return Token(kind: .symbol("::"), position: start)
            }
            if let next = peek(1), next.isWordStart {
                advance()
                var name = String.UnicodeScalarView()
                while let next = peek(), next.isWordPart {
                    name.append(next)
                    advance()
                }
                return Token(kind: .parameter(String(name)), position: start)
            }
            advance()
            return Token(kind: .symbol(":"), position: start)
        default:
            break
        }
        for symbol in Self.multiCharacterSymbols where matches(symbol) {
            for _ in symbol.unicodeScalars { advance() }
            return Token(kind: .symbol(symbol), position: start)
        }
        if Self.singleCharacterSymbols.contains(character) {
            advance()
            return Token(kind: .symbol(String(character)), position: start)
        }
        if character == "?" {
            throw SQLError(.unsupported, "positional '?' parameters are not supported; use named markers like :name", at: start)
        }
        throw SQLError(.syntax, "unexpected character '\(character)'", at: start)
    }

    static let multiCharacterSymbols = ["<=>", "<>", "!=", "<=", ">=", "==", "||"]
    static let singleCharacterSymbols = Set("(),.;*+-/%=<>[]&|^~".unicodeScalars)

    private func matches(_ symbol: String) -> Bool {
        for (offset, character) in symbol.unicodeScalars.enumerated() where peek(offset) != character { return false }
        return true
    }

    private mutating func number() throws(SQLError) -> String {
        let start = position
        var text = String.UnicodeScalarView()
        while let next = peek(), next.isDigit {
            text.append(next)
            advance()
        }
        if peek() == ".", peek(1)?.isDigit ?? false || !text.isEmpty {
            text.append(".")
            advance()
            while let next = peek(), next.isDigit {
                text.append(next)
                advance()
            }
        }
        if let e = peek(), e == "e" || e == "E" {
            let sign = peek(1)
            if sign?.isDigit ?? false || ((sign == "+" || sign == "-") && (peek(2)?.isDigit ?? false)) {
                text.append("E")
                advance()
                if let sign, sign == "+" || sign == "-" {
                    text.append(sign)
                    advance()
                }
                while let next = peek(), next.isDigit {
                    text.append(next)
                    advance()
                }
            }
        }
        // Spark's typed suffixes (10L, 1.5D, 2BD): L and D are accepted; others are refused below.
        if let suffix = peek(), suffix == "L" || suffix == "l" || suffix == "D" || suffix == "d" {
            if !(peek(1)?.isWordPart ?? false) {
                advance()
                text.append(suffix == "L" || suffix == "l" ? "L" : "D")
            }
        }
        if let next = peek(), next.isWordStart {
            throw SQLError(.syntax, "invalid number '\(String(text))\(next)'", at: start)
        }
        return String(text)
    }

    private mutating func stringLiteral(quote: Unicode.Scalar, start: SourcePosition) throws(SQLError) -> String {
        advance()
        var value = String.UnicodeScalarView()
        while true {
            guard let next = peek() else { throw SQLError(.syntax, "unterminated string literal", at: start) }
            advance()
            if next == quote {
                // Adjacent literals concatenate in Spark ('a' 'b' = 'ab'); a doubled quote is not an escape.
                return String(value)
            }
            if next == "\\" {
                guard let escaped = peek() else { throw SQLError(.syntax, "unterminated string literal", at: start) }
                advance()
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                case "0": value.append("\u{0}")
                case "b": value.append("\u{8}")
                case "Z": value.append("\u{1A}")
                case "%": value.append(contentsOf: "\\%".unicodeScalars)
                case "_": value.append(contentsOf: "\\_".unicodeScalars)
                default: value.append(escaped)
                }
                continue
            }
            value.append(next)
        }
    }
}

extension Unicode.Scalar {
    var isDigit: Bool { ("0"..."9").contains(self) }
    /// Letters and `_` start a word (keyword or identifier); digits may follow.
    var isWordStart: Bool { self == "_" || properties.isAlphabetic }
    var isWordPart: Bool { isWordStart || isDigit }
}
