/// One lexical unit of a statement, with where it starts.
public struct Token: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A bare word: keyword or identifier; the parser decides which.
        case word(String)
        /// A backquoted identifier (never a keyword).
        case quotedIdentifier(String)
        /// A string literal in single or double quotes, escapes resolved.
        case string(String)
        /// A numeric literal exactly as written (`30`, `1.5`, `1e9`).
        case number(String)
        /// A named parameter marker `:name`.
        case parameter(String)
        /// Punctuation and operators: `( ) , . ; * + - / % = == <> != < <= > >= <=> || [ ] :: & | ^ ~`.
        case symbol(String)
        case end
    }

    public var kind: Kind
    public var position: SourcePosition

    /// The word upper-cased when the token is a bare word, for keyword checks.
    public var keyword: String? {
        if case .word(let word) = kind { return word.uppercased() }
        return nil
    }

    public var describedForError: String {
        switch kind {
        case .word(let word): "'\(word)'"
        case .quotedIdentifier(let name): "`\(name)`"
        case .string(let value): "string '\(value)'"
        case .number(let text): "'\(text)'"
        case .parameter(let name): "':\(name)'"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "end of input"
        }
    }
}
