/// A recursive-descent parser for the read-only Spark SQL `SELECT` dialect. Anything else (DDL, DML,
/// `ATTACH`, `PRAGMA`, several statements) is refused with the position of the offending token.
public struct Parser {
    var tokens: [Token]
    var index = 0
    /// Nesting of expressions and queries being parsed. Bounded, so that a statement of a million `(` is an
    /// error and not a stack overflow of the server.
    var depth = 0
    static let maxDepth = 200
    /// The tallest expression tree (operators, function calls, subqueries) a statement may hold. Every later stage
    /// recurses through the tree, and SQLite itself refuses expressions deeper than 1000, so past this the
    /// statement is refused here, with a position, before anything else can run out of stack.
    public static let maxExpressionHeight = 1000
    /// The same bound for a whole query: its clauses, joins and subqueries add a few levels each above their
    /// expressions (and subqueries nest at most `maxDepth` deep).
    public static let maxQueryHeight = 1200
    /// SELECTs in one chain of UNION/EXCEPT/INTERSECT (SQLite's SQLITE_MAX_COMPOUND_SELECT).
    public static let maxCompoundTerms = 500
    /// Tables and subqueries in one FROM clause (SQLite joins at most 64).
    public static let maxJoinedRelations = 64
    /// Tokens in one statement: bounds the memory the lexer and parser may take for a hostile 16 MiB text.
    public static let maxTokens = 250_000

    mutating func enter() throws(SQLError) {
        depth += 1
        if depth > Self.maxDepth {
            throw SQLError(.tooComplex, "the statement nests deeper than \(Self.maxDepth) levels of parentheses and subqueries", at: current.position)
        }
    }

    /// Builds an expression node, refusing it when the tree grows past `maxExpressionHeight`.
    func node(_ kind: Expression.Kind, at position: SourcePosition) throws(SQLError) -> Expression {
        let expression = Expression(kind, at: position)
        guard expression.height <= Self.maxExpressionHeight else {
            throw SQLError(
                .tooComplex,
                "the expression is more than \(Self.maxExpressionHeight) operators deep; split it, for example into a CTE or an IN (...) list",
                at: position)
        }
        return expression
    }

    /// `tokens` should end with `.end` (as `Lexer.tokenize` makes them); one is added when it does not, so that
    /// `current` is always a token.
    public init(tokens: [Token]) {
        self.tokens = tokens.last?.kind == .end ? tokens : tokens + [Token(kind: .end, position: tokens.last?.position ?? .start)]
    }

    /// Parses one statement; a trailing `;` is allowed.
    public static func parse(_ text: String) throws(SQLError) -> Query {
        var parser = Parser(tokens: try Lexer.tokenize(text, maxTokens: maxTokens))
        return try parser.parseStatement()
    }

    static let statementKeywords: Set<String> = [
        "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE", "ATTACH", "DETACH", "PRAGMA",
        "VACUUM", "REPLACE", "GRANT", "REVOKE", "SET", "RESET", "USE", "ANALYZE", "REINDEX", "BEGIN", "COMMIT",
        "ROLLBACK", "SAVEPOINT", "RELEASE", "EXPLAIN", "DESCRIBE", "DESC", "SHOW", "CACHE", "UNCACHE", "REFRESH",
        "MSCK", "LOAD", "COPY", "OPTIMIZE", "CALL",
    ]

    /// Words that end an expression or clause, so they are never taken as implicit aliases.
    static let reserved: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "MINUS",
        "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "OUTER", "SEMI", "ANTI", "NATURAL", "ON", "USING",
        "LATERAL", "AS", "WITH", "AND", "OR", "NOT", "IS", "IN", "LIKE", "ILIKE", "RLIKE", "REGEXP", "BETWEEN", "CASE",
        "WHEN", "THEN", "ELSE", "END", "DISTINCT", "ALL", "OVER", "PARTITION", "ASC", "DESC", "NULLS",
        "OFFSET", "CLUSTER", "DISTRIBUTE", "SORT", "QUALIFY", "PIVOT", "UNPIVOT", "TABLESAMPLE",
    ]

    mutating func parseStatement() throws(SQLError) -> Query {
        if let keyword = current.keyword, Self.statementKeywords.contains(keyword) {
            throw SQLError(
                .unsupported,
                "\(keyword) statements are not supported: Vigil's SQL is read-only and runs SELECT queries only",
                at: current.position)
        }
        guard current.keyword == "SELECT" || current.keyword == "WITH" || isSymbol("(") else {
            throw SQLError(.syntax, "expected SELECT or WITH, got \(current.describedForError)", at: current.position)
        }
        let query = try parseQuery()
        while isSymbol(";") { advance() }
        guard current.kind == .end else {
            if let keyword = current.keyword, Self.statementKeywords.contains(keyword) || keyword == "SELECT" || keyword == "WITH" {
                throw SQLError(.unsupported, "only one statement may be run at a time", at: current.position)
            }
            throw SQLError(.syntax, "unexpected \(current.describedForError) after the end of the query", at: current.position)
        }
        return query
    }

    // MARK: Token helpers

    var current: Token { tokens[index] }

    func peekToken(_ ahead: Int) -> Token {
        tokens[min(index + ahead, tokens.count - 1)]
    }

    mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    func isKeyword(_ keyword: String) -> Bool { current.keyword == keyword }

    func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

    mutating func acceptKeyword(_ keyword: String) -> Bool {
        guard isKeyword(keyword) else { return false }
        advance()
        return true
    }

    mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard isSymbol(symbol) else { return false }
        advance()
        return true
    }

    mutating func expectKeyword(_ keyword: String) throws(SQLError) {
        guard acceptKeyword(keyword) else {
            throw SQLError(.syntax, "expected \(keyword), got \(current.describedForError)", at: current.position)
        }
    }

    mutating func expectSymbol(_ symbol: String) throws(SQLError) {
        guard acceptSymbol(symbol) else {
            throw SQLError(.syntax, "expected '\(symbol)', got \(current.describedForError)", at: current.position)
        }
    }

    /// An identifier: a backquoted name, or a bare word that is not reserved.
    mutating func parseIdentifier(what: String = "a name") throws(SQLError) -> Identifier {
        switch current.kind {
        case .quotedIdentifier(let name):
            let identifier = Identifier(name, at: current.position)
            advance()
            return identifier
        case .word(let word) where !Self.reserved.contains(word.uppercased()):
            let identifier = Identifier(word, at: current.position)
            advance()
            return identifier
        default:
            throw SQLError(.syntax, "expected \(what), got \(current.describedForError)", at: current.position)
        }
    }

    /// An optional alias: `AS name` or a bare non-reserved name.
    mutating func parseOptionalAlias() throws(SQLError) -> Identifier? {
        if acceptKeyword("AS") { return try parseIdentifier(what: "an alias") }
        switch current.kind {
        case .quotedIdentifier: return try parseIdentifier()
        case .word(let word) where !Self.reserved.contains(word.uppercased()): return try parseIdentifier()
        default: return nil
        }
    }
}
