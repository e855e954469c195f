import Foundation
import Testing
@testable import VigilSQL

// Foundation has its own `Expression`; these tests mean the SQL AST.
typealias Expression = VigilSQL.Expression

/// Printing a parsed query and parsing the text again must give the same AST: the printer is what error
/// messages and logs show, so it must say exactly what was parsed.
@Suite("Parser round trip")
struct ParserRoundTripTests {
    static let corpus: [String] = [
        "SELECT a, b.c AS x, `weird name`, t.* FROM system.access.audit t WHERE a = 1 AND NOT b OR c IS NOT NULL",
        "WITH x AS (SELECT 1 AS one), y (n) AS (SELECT 2) SELECT * FROM x CROSS JOIN y LEFT JOIN (SELECT 3) z ON TRUE",
        "SELECT count(*), count(DISTINCT a), sum(b) OVER (PARTITION BY c ORDER BY d DESC NULLS LAST ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t GROUP BY 1 HAVING count(*) > 2 ORDER BY 2 DESC LIMIT 10",
        "SELECT CASE WHEN a BETWEEN 1 AND 2 THEN 'x' WHEN a NOT IN (3, 4) THEN 'y' ELSE NULL END FROM t",
        "SELECT CASE a WHEN 1 THEN 'one' END, CAST(a AS STRUCT<x: INT, y: ARRAY<MAP<STRING, DOUBLE>>>), a::date FROM t",
        "SELECT m['k'], arr[0].f, f(x).g, INTERVAL 1 DAY 2 HOURS, INTERVAL '30 minutes', DATE '2024-01-01', TIMESTAMP '2024-01-01 10:00:00' FROM t",
        "SELECT 'it''s', 'a\\'b', \"double\", 'tab\\there', -5, +x, ~y, 1.5e3, 10L, a || b, a DIV b, a % b, a <=> b FROM t",
        "SELECT x FROM t LATERAL VIEW OUTER explode(arr) v AS e LATERAL VIEW posexplode(arr2) AS p, q",
        "SELECT a FROM t WHERE b LIKE 'x%' AND c NOT ILIKE '%Y' AND d RLIKE '^z' AND e IN (SELECT e FROM u) AND EXISTS (SELECT 1 FROM u)",
        "(SELECT a FROM t UNION ALL SELECT b FROM u) UNION SELECT c FROM v EXCEPT SELECT d FROM w INTERSECT SELECT e FROM x",
        "SELECT :param, current_date, current_date(), now() - INTERVAL 30 DAYS, x IS TRUE, y IS DISTINCT FROM z FROM t",
    ]

    @Test("corpus queries print and re-parse to the same AST", arguments: corpus)
    func corpusRoundTrips(_ text: String) throws {
        let query = try Parser.parse(text)
        let printed = query.sql
        let reparsed = try Parser.parse(printed)
        #expect(reparsed == query, "printed: \(printed)")
    }

    @Test("golden cases print and re-parse to the same AST")
    func goldenRoundTrips() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SQLGolden/cases")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }
        #expect(names.count >= 20)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let query = try Parser.parse(text)
            #expect(try Parser.parse(query.sql) == query, "\(name): \(query.sql)")
        }
    }

    @Test("random ASTs print and re-parse to the same AST (1,000 seeded cases)")
    func randomRoundTrips() throws {
        var generator = RandomQueryGenerator(seed: 0x5EED)
        for _ in 0..<1000 {
            let query = generator.query(depth: 2)
            let printed = query.sql
            let reparsed: Query
            do {
                reparsed = try Parser.parse(printed)
            } catch {
                Issue.record("does not re-parse: \(error)\n\(printed)")
                return
            }
            #expect(reparsed == query, "printed: \(printed)")
            if reparsed != query { return }
        }
    }
}

/// A small seeded generator of random (not necessarily meaningful) ASTs within the dialect.
struct RandomQueryGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(bound))
    }

    mutating func pick<T>(_ items: [T]) -> T { items[next(items.count)] }

    mutating func identifier() -> Identifier {
        Identifier(pick(["a", "b", "event_date", "user_identity", "Mixed_Case", "with space", "back`tick", "select"]))
    }

    mutating func literal() -> Literal {
        switch next(8) {
        case 0: .null
        case 1: .boolean(next(2) == 0)
        case 2: .string(pick(["", "plain", "it's", "back\\slash", "new\nline", "tab\there", "100%_"]))
        case 3: .number(pick(["0", "42", "1.5", "10L", "2.5E3"]))
        case 4: .date("2024-02-29")
        case 5: .timestamp("2024-01-01 10:00:00")
        case 6: .interval([IntervalPart(amount: Int64(next(40)), unit: pick(IntervalPart.Unit.allCases))])
        default: .string("x")
        }
    }

    mutating func expression(depth: Int) -> Expression {
        if depth == 0 {
            switch next(3) {
            case 0: return Expression(.literal(literal()))
            case 1: return Expression(.name((0...next(3)).map { _ in identifier() }))
            default: return Expression(.parameter(pick(["p", "since"])))
            }
        }
        let d = depth - 1
        switch next(14) {
        case 0: return Expression(.unary(pick([.negate, .plus, .not, .bitNot]), expression(depth: d)))
        case 1:
            let ops: [BinaryOperator] = [.or, .and, .equal, .notEqual, .less, .greaterOrEqual, .nullSafeEqual, .add, .subtract, .multiply, .divide, .remainder, .integerDivide, .concat, .bitAnd, .bitOr, .bitXor]
            return Expression(.binary(pick(ops), expression(depth: d), expression(depth: d)))
        case 2:
            let arguments = (0..<next(3)).map { _ in expression(depth: d) }
            let call = FunctionCall(
                name: Identifier(pick(["lower", "count", "coalesce", "get_json_object", "current_date", "window"])),
                arguments: arguments, distinct: !arguments.isEmpty && next(4) == 0, star: false,
                window: next(4) == 0 ? WindowSpec(partitionBy: [expression(depth: 0)], orderBy: [OrderItem(expression: expression(depth: 0), ascending: next(2) == 0, nullsFirst: nil)], frame: nil) : nil)
            return Expression(.function(call))
        case 3: return Expression(.subscript(expression(depth: d), expression(depth: d)))
        case 4: return Expression(.cast(expression(depth: d), pick([.string, .int, .date, .array(.string), .map(.string, .bigint)])))
        case 5:
            return Expression(.caseWhen(
                operand: next(2) == 0 ? expression(depth: d) : nil,
                branches: [WhenBranch(condition: expression(depth: d), result: expression(depth: d))],
                otherwise: next(2) == 0 ? expression(depth: d) : nil))
        case 6: return Expression(.inList(expression(depth: d), [expression(depth: d), expression(depth: 0)], negated: next(2) == 0))
        case 7: return Expression(.between(expression(depth: d), expression(depth: d), expression(depth: d), negated: next(2) == 0))
        case 8: return Expression(.like(pick([.like, .ilike, .rlike]), expression(depth: d), expression(depth: d), negated: next(2) == 0))
        case 9: return Expression(.isNull(expression(depth: d), negated: next(2) == 0))
        case 10: return Expression(.inQuery(expression(depth: d), query(depth: 0), negated: next(2) == 0))
        case 11: return Expression(.scalarSubquery(query(depth: 0)))
        case 12: return Expression(.exists(query(depth: 0)))
        default:
            return Expression(.field(Expression(.subscript(expression(depth: 0), expression(depth: 0))), identifier()))
        }
    }

    mutating func query(depth: Int) -> Query {
        var select = Select(
            distinct: next(4) == 0,
            items: (0...next(3)).map { _ in .expression(expression(depth: depth), aliases: next(2) == 0 ? [identifier()] : []) },
            from: .table(name: [Identifier("system"), Identifier("access"), Identifier("audit")], alias: next(2) == 0 ? identifier() : nil),
            lateralViews: [], whereClause: next(2) == 0 ? expression(depth: depth) : nil, groupBy: [], having: nil, position: .start)
        if next(3) == 0 {
            select.groupBy = [expression(depth: 0)]
            select.having = next(2) == 0 ? expression(depth: depth) : nil
        }
        let orderBy = next(3) == 0 ? [OrderItem(expression: expression(depth: 0), ascending: false, nullsFirst: true)] : []
        let limit = next(4) == 0 ? Expression(.literal(.number("10"))) : nil
        return Query(body: .select(select), orderBy: orderBy, limit: limit)
    }
}
