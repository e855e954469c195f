import Testing
@testable import VigilSQL

/// Hostile statement shapes are refused with FAILED_TO_PARSE_TOO_COMPLEX and a position, never a stack overflow,
/// and what is accepted compiles to SQL that SQLite's own parser can take.
@Suite("Complexity limits")
struct ComplexityLimitTests {
    static func chain(_ term: String, _ separator: String, _ count: Int) -> String {
        Array(repeating: term, count: count).joined(separator: separator)
    }

    struct Hostile: Sendable, CustomStringConvertible {
        var name: String
        var sql: String
        var description: String { name }
    }

    /// The shapes an independent probe used to crash the server, each far past the limits.
    static let hostile: [Hostile] = [
        Hostile(name: "8,000 + terms", sql: "SELECT " + chain("1", " + ", 8000)),
        Hostile(name: "20,000 * terms", sql: "SELECT " + chain("2", " * ", 20000)),
        Hostile(name: "20,000 || terms", sql: "SELECT " + chain("'a'", " || ", 20000)),
        Hostile(name: "20,000 = terms", sql: "SELECT " + chain("1", " = ", 20000)),
        Hostile(name: "20,000 ::string casts", sql: "SELECT 1" + String(repeating: "::string", count: 20000)),
        Hostile(name: "20,000 [0] subscripts", sql: "SELECT split('a', ',')" + String(repeating: "[0]", count: 20000)),
        Hostile(name: "9,000 UNION ALL", sql: chain("SELECT 1", " UNION ALL ", 9000)),
        Hostile(name: "100,000 parentheses", sql: "SELECT " + String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)),
        Hostile(name: "5,000 nested function calls", sql: "SELECT " + String(repeating: "abs(", count: 5000) + "1" + String(repeating: ")", count: 5000)),
        Hostile(name: "5,000 nested NOT", sql: "SELECT " + String(repeating: "NOT ", count: 5000) + "true"),
        Hostile(name: "5,000 nested unary minus", sql: "SELECT " + String(repeating: "- ", count: 5000) + "1"),
        Hostile(name: "5,000 nested scalar subqueries", sql: String(repeating: "SELECT (", count: 5000) + "SELECT 1" + String(repeating: ")", count: 5000)),
        Hostile(name: "2,000 joined tables", sql: "SELECT 1 FROM " + chain("system.access.audit", " JOIN system.access.audit ON true JOIN ", 1000)),
        Hostile(name: "2,000 comma joins", sql: "SELECT 1 FROM " + chain("system.access.audit", ", ", 2000)),
        Hostile(name: "300,000 tokens", sql: "SELECT 1 WHERE 1 IN (" + chain("1", ", ", 150_000) + ")"),
        Hostile(name: "a 10,000-deep from_json schema",
                sql: "SELECT from_json('[]', '" + String(repeating: "array<", count: 10000) + "int" + String(repeating: ">", count: 10000) + "')"),
        Hostile(name: "a 10,000-deep CAST type",
                sql: "SELECT CAST(NULL AS " + String(repeating: "array<", count: 10000) + "int" + String(repeating: ">", count: 10000) + ")"),
    ]

    @Test("hostile shapes are refused as too complex (or as syntax), with a position", arguments: hostile)
    func refused(_ hostile: Hostile) {
        do {
            let compiled = try SQLCompiler().compile(hostile.sql, now: 0)
            Issue.record("compiled \(compiled.sql.count) characters of SQL")
        } catch {
            #expect([.tooComplex, .syntax].contains(error.code), "\(error)")
            #expect(error.position != nil, "\(error)")
        }
    }

    @Test("an operator chain just under the height limit compiles; one operator more is refused at that operator")
    func heightLimit() throws {
        let limit = Parser.maxExpressionHeight
        // n terms joined by `+` make a tree n levels deep (n - 1 operators over a leaf).
        let fits = "SELECT " + Self.chain("status_code", " + ", limit) + " FROM (SELECT response.status_code FROM system.access.audit)"
        let compiled = try SQLCompiler().compile(fits, now: 0)
        #expect(Self.parenthesisDepth(compiled.sql) < 10, "\(compiled.sql.prefix(300))")
        do {
            _ = try SQLCompiler().compile("SELECT " + Self.chain("1", " + ", limit + 1), now: 0)
            Issue.record("compiled past the limit")
        } catch {
            #expect(error.code == .tooComplex)
            #expect(error.message.contains("\(limit)"))
            // The position is the operator that crossed the limit: the last `+`.
            #expect(error.position?.column == 7 + limit * 4 - 1, "\(error)")
        }
    }

    @Test("AND and OR chains become Spark's balanced tree: 20,000 conditions compile, and the column name is Spark's")
    func balancedConditions() throws {
        let long = try SQLCompiler().compile("SELECT " + Self.chain("true", " AND ", 20000) + " OR " + Self.chain("false", " OR ", 20000), now: 0)
        #expect(Self.parenthesisDepth(long.sql) < 40)
        // What Spark 4 names these columns (checked with PySpark 4.3.0).
        let four = try SQLCompiler().compile("SELECT true AND false AND true AND false", now: 0)
        #expect(four.columns.map(\.name) == ["((true AND false) AND (true AND false))"])
        let five = try SQLCompiler().compile("SELECT true OR false OR true OR false OR true", now: 0)
        #expect(five.columns.map(\.name) == ["(((true OR false) OR true) OR (false OR true))"])
    }

    @Test("500 SELECTs in one UNION ALL chain compile; 501 are refused")
    func compoundLimit() throws {
        let fits = try SQLCompiler().compile(Self.chain("SELECT 1", " UNION ALL ", Parser.maxCompoundTerms), now: 0)
        #expect(fits.columns.count == 1)
        #expect(throws: SQLError.self) { try SQLCompiler().compile(Self.chain("SELECT 1", " UNION ALL ", Parser.maxCompoundTerms + 1), now: 0) }
    }

    /// Functions whose argument the emitter used to write several times: nested 40 deep, the SQL grew as 3^40.
    @Test("nested functions compile to SQL that grows linearly with the nesting", arguments: [
        "ceil(", "floor(", "greatest(1, ", "least(2, ", "substring('abc', ", "abs(",
    ])
    func linearEmission(_ opening: String) throws {
        let depth = 40
        let sql = "SELECT " + String(repeating: opening, count: depth) + "1" + String(repeating: ")", count: depth)
        let compiled = try SQLCompiler().compile(sql, now: 0)
        #expect(compiled.sql.count < 100 * depth, "\(compiled.sql.count) characters")
    }

    @Test("nested tumbling windows and bitwise XOR are written once per level")
    func linearWindowAndXor() throws {
        let xor = "SELECT " + String(repeating: "(", count: 30) + "1" + String(repeating: " ^ 1)", count: 30)
        #expect(try SQLCompiler().compile(xor, now: 0).sql.count < 3000)
        var window = "event_time"
        for _ in 0..<20 { window = "window(\(window), '1 hour').start" }
        let compiled = try SQLCompiler().compile("SELECT \(window) FROM system.access.audit", now: 0)
        #expect(compiled.sql.count < 3000, "\(compiled.sql.count) characters")
    }

    static func parenthesisDepth(_ sql: String) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        for character in sql {
            if character == "'" { inString.toggle() }
            if inString { continue }
            if character == "(" { depth += 1; deepest = max(deepest, depth) }
            if character == ")" { depth -= 1 }
        }
        return deepest
    }
}
