import Testing
import VigilSQL
import VigilStore
import VigilTesting

/// Integer, decimal and date arithmetic follow Spark's ANSI rules on a real SQLite file: overflow is an error
/// with Spark's class, never a crash, a wrap or a silent floating-point number. Every expectation below is what
/// PySpark 4.3.0 (ANSI mode) answered for the same statement, except where a case says otherwise.
@Suite("ANSI arithmetic")
struct ANSIArithmeticTests {
    struct Case: Sendable, CustomStringConvertible {
        var sql: String
        /// The error class Spark raises, or nil when the statement succeeds.
        var code: SQLError.Code?
        /// The rendered value of the single result cell, and its Spark type, when it succeeds.
        var value: String?
        var type: String?
        var parameters: [String: SQLValue] = [:]
        /// False where only the type and the absence of a crash are asserted.
        var checksValue = true
        var description: String { sql }

        static func fails(_ sql: String, _ code: SQLError.Code, parameters: [String: SQLValue] = [:]) -> Case {
            Case(sql: sql, code: code, value: nil, type: nil, parameters: parameters)
        }

        static func gives(_ sql: String, _ value: String?, _ type: String) -> Case {
            Case(sql: sql, code: nil, value: value, type: type)
        }

        static func hasType(_ sql: String, _ type: String) -> Case {
            Case(sql: sql, code: nil, value: nil, type: type, checksValue: false)
        }
    }

    static let cases: [Case] = [
        // The probe's crashes: each was a SIGILL while rendering the result.
        .fails("SELECT 9223372036854775807 + 1", .arithmeticOverflow),
        .fails("SELECT unix_timestamp() * 10000000000", .arithmeticOverflow),
        .fails("SELECT ceil(1e19)", .arithmeticOverflow),
        .fails("SELECT :a + 1", .arithmeticOverflow, parameters: ["a": .integer(.max)]),
        // INT and BIGINT + - * and negation.
        .fails("SELECT 9223372036854775807L + 1L", .arithmeticOverflow),
        .fails("SELECT 2147483647 + 1", .arithmeticOverflow),
        .fails("SELECT -2147483648 - 1", .arithmeticOverflow),
        .fails("SELECT 2147483647 * 2", .arithmeticOverflow),
        .fails("SELECT 9223372036854775807L * 2", .arithmeticOverflow),
        .fails("SELECT -(-9223372036854775807L - 1L)", .arithmeticOverflow),
        .fails("SELECT -(-2147483647 - 1)", .arithmeticOverflow),
        .fails("SELECT abs(-2147483647 - 1)", .arithmeticOverflow),
        .fails("SELECT abs(-9223372036854775807L - 1L)", .arithmeticOverflow),
        .fails("SELECT :a * 2", .arithmeticOverflow, parameters: ["a": .integer(.max / 2 + 1)]),
        .gives("SELECT 2147483647 + 1L", "2147483648", "BIGINT"),
        .gives("SELECT -2147483648", "-2147483648", "INT"),
        .gives("SELECT -9223372036854775807L - 1L", "-9223372036854775808", "BIGINT"),
        .gives("SELECT 1 + 1 + 1", "3", "INT"),
        // An overflow deep inside a column expression, over stored rows.
        .fails("SELECT max(response.status_code * 2147483647 * 2) FROM system.access.audit", .arithmeticOverflow),
        .fails("SELECT sum(9223372036854775807) FROM system.access.audit", .arithmeticOverflow),
        // An INT operation inside a wider one overflows at 32 bits, as Spark computes it before widening.
        .fails("SELECT 2147483647 + 1 + 1L", .arithmeticOverflow),
        .fails("SELECT response.status_code * 2147483647 + 1L FROM system.access.audit WHERE response.status_code = 200", .arithmeticOverflow),
        .fails("SELECT response.status_code * 2147483647 + 1.5 FROM system.access.audit WHERE response.status_code = 200", .arithmeticOverflow),
        .fails("SELECT CAST(concat('3000000000', '') AS INT) + 1L", .castInvalidInput),
        .gives("SELECT max(response.status_code * 10 + 1L) FROM system.access.audit WHERE response.status_code = 200", "2001", "BIGINT"),
        // Rounding to integers.
        .fails("SELECT floor(-1e19)", .arithmeticOverflow),
        .fails("SELECT ceil(1e300)", .arithmeticOverflow),
        .gives("SELECT ceil(9.5)", "10", "DECIMAL(2,0)"),
        .gives("SELECT floor(12.345)", "12", "DECIMAL(3,0)"),
        .gives("SELECT floor(-2.5D)", "-3", "BIGINT"),
        // Casts.
        .fails("SELECT CAST(1e19 AS BIGINT)", .castOverflow),
        .fails("SELECT CAST(1e10 AS INT)", .castOverflow),
        .fails("SELECT CAST(3000000000L AS INT)", .castOverflow),
        .fails("SELECT CAST(2147483648 AS INT)", .castOverflow),
        .fails("SELECT CAST(12345678901234.5 AS INT)", .castOverflow),
        // SQLite stores NaN as NULL, so Vigil's NaN is NULL here where Spark raises CAST_OVERFLOW.
        .gives("SELECT CAST(CAST('NaN' AS DOUBLE) AS BIGINT)", nil, "BIGINT"),
        .fails("SELECT CAST(1e308 * 10 AS BIGINT)", .castOverflow),
        .fails("SELECT bigint(9.9e18)", .castOverflow),
        .fails("SELECT CAST('9223372036854775808' AS BIGINT)", .castInvalidInput),
        .fails("SELECT CAST('3000000000' AS INT)", .castInvalidInput),
        .fails("SELECT CAST('2026-02-30' AS DATE)", .castInvalidInput),
        .fails("SELECT CAST(action_name AS INT) FROM system.access.audit", .castInvalidInput),
        .gives("SELECT CAST(12.34 AS DECIMAL(4,1))", "12.3", "DECIMAL(4,1)"),
        .fails("SELECT CAST(123.45 AS DECIMAL(3,1))", .numericOutOfRange),
        // Division and remainder.
        .fails("SELECT 1/0", .divideByZero),
        .fails("SELECT 1 DIV 0", .divideByZero),
        .fails("SELECT 1.0/0", .divideByZero),
        .fails("SELECT 1D/0", .divideByZero),
        .fails("SELECT 1 % 0", .remainderByZero),
        .fails("SELECT (-9223372036854775807L - 1L) DIV -1", .arithmeticOverflow),
        .gives("SELECT 5.5 % 2", "1.5", "DECIMAL(2,1)"),
        .gives("SELECT -7 % 3", "-1", "INT"),
        .gives("SELECT 7 % -3", "1", "INT"),
        .gives("SELECT 9007199254740993 DIV 1", "9007199254740993", "BIGINT"),
        // Literals and decimals.
        .fails("SELECT 9223372036854775808L", .literalOutOfRange),
        // DECIMAL is held as a double (docs/sql.md): the type is Spark's, the digits past the 16th are not.
        .hasType("SELECT 9223372036854775808", "DECIMAL(19,0)"),
        .fails("SELECT 99999999999999999999999999999999999999 + 1", .numericOutOfRange),
        .fails("SELECT 999999999999999999999999999999999999999", .numericOutOfRange),
        .gives("SELECT 1e308 * 10", "Infinity", "DOUBLE"),
        // Intervals, timestamps and dates.
        .fails("SELECT INTERVAL 9223372036854775807 DAYS", .intervalOverflow),
        .fails("SELECT window(event_time, '9223372036854775807 days') FROM system.access.audit", .intervalOverflow),
        // Durations past 64-bit microseconds, which Spark refuses too; the widest it accepts starts at the epoch.
        .fails("SELECT window(event_time, '9223372036854775807 milliseconds') FROM system.access.audit", .intervalOverflow),
        .fails("SELECT window(event_time, '106751991167 days') FROM system.access.audit", .intervalOverflow),
        .gives("SELECT window(TIMESTAMP '2026-01-01 00:00:00', '9223372036854 milliseconds').start", "1970-01-01T00:00:00.000Z", "TIMESTAMP"),
        // Found by the SQL fuzzer (seed 2026, input 55339): a duration of a lone backslash trapped the compiler.
        .fails("SELECT window(event_time, '\\\\') FROM system.access.audit", .typeMismatch),
        .fails("SELECT window(event_time, '') FROM system.access.audit", .typeMismatch),
        // Spark saturates the microseconds instead of failing.
        .gives("SELECT CAST(9223372036854775807L AS TIMESTAMP)", "294247-01-10T04:00:54.775Z", "TIMESTAMP"),
        .gives("SELECT CAST(1700000000L AS TIMESTAMP)", "2023-11-14T22:13:20.000Z", "TIMESTAMP"),
        // Vigil: an error where Spark returns a wrapped date or a meaningless one; never a crash.
        .fails("SELECT from_unixtime(9223372036854775807)", .arithmeticOverflow),
        .fails("SELECT TIMESTAMP '2026-01-01 00:00:00' + INTERVAL 106751991167 DAYS", .arithmeticOverflow),
        .gives("SELECT date_trunc('YEAR', CAST(-9223372036854775807L AS TIMESTAMP))", "-290308-01-01T00:00:00.000Z", "TIMESTAMP"),
        .fails("SELECT CAST('99999999999999999-01-01' AS DATE)", .castInvalidInput),
        .gives("SELECT date_add(DATE '2026-01-01', 9223372036854775807L) IS NULL", "true", "BOOLEAN"),
        .hasType("SELECT date_trunc('WEEK', CAST(-9223372036854775807L AS TIMESTAMP))", "TIMESTAMP"),
        .gives("SELECT to_date('99999999999-01-01', 'yyyy-MM-dd')", nil, "DATE"),
        // Arguments the emitter binds in another order than they appear (anonymous placeholders are reordered).
        .gives("SELECT substring('abcdef', 2, 3)", "bcd", "STRING"),
        .gives("SELECT concat(substring('abcdef', -2), substring('xyz', 0, 1))", "efx", "STRING"),
        // Regular expressions.
        .fails("SELECT 'a' RLIKE '('", .invalidPattern),
        .fails("SELECT regexp_extract('abc', '(', 1)", .invalidPattern),
        .fails("SELECT regexp_extract('abc', '(a)', 5)", .regexGroupIndex),
        .fails("SELECT split(action_name, '[') FROM system.access.audit", .invalidPattern),
    ]

    @Test("statements answer as Spark's ANSI mode does", arguments: cases)
    func answers(_ testCase: Case) async throws {
        try await withGoldenDatabase { runner, _ in
            do throws(SQLError) {
                let result = try await runner.run(testCase.sql, now: SQLGolden.now, parameters: testCase.parameters)
                guard testCase.code == nil else {
                    Issue.record("succeeded with \(result.rows), want \(testCase.code!.rawValue)")
                    return
                }
                guard let column = result.columns.first else {
                    Issue.record("no column")
                    return
                }
                #expect(column.type.description == testCase.type)
                if testCase.checksValue {
                    #expect(result.rows.first.flatMap { $0.first }.flatMap { SparkStrings.render($0, as: column.type) } == testCase.value)
                }
            } catch {
                #expect(error.code == testCase.code, "\(error)")
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test("an unrecognised engine error is INTERNAL_ERROR with a fixed message; SQLite's own words are kept for the log only")
    func internalError() async throws {
        try await withGoldenDatabase { runner, _ in
            let outcome = await runner.runUncompiled(CompiledQuery(sql: "SELEC nothing", arguments: [], columns: []))
            guard case .failure(let error) = outcome else {
                Issue.record("ran")
                return
            }
            #expect(error.code == .internalError)
            #expect(!error.message.contains("syntax error"), "\(error.message)")
            #expect(error.detail?.contains("syntax error") == true, "\(error.detail ?? "")")
        }
    }

    @Test("SQLite's parser limits are FAILED_TO_PARSE_TOO_COMPLEX, not INTERNAL_ERROR")
    func engineLimits() async throws {
        try await withGoldenDatabase { runner, _ in
            // 60 nested function calls pass Vigil's parser but not SQLite's (about 50).
            let nested = "SELECT " + String(repeating: "abs(", count: 60) + "1" + String(repeating: ")", count: 60)
            do throws(SQLError) {
                _ = try await runner.run(nested, now: SQLGolden.now)
                Issue.record("ran")
            } catch {
                #expect(error.code == .tooComplex, "\(error)")
                #expect(error.detail?.contains("parser stack overflow") == true)
            }
        }
    }
}

/// Statement shapes whose cost lies in SQLite's prepare step, which the statement's time limit cannot
/// interrupt: each must be refused or made cheap before it reaches SQLite.
@Suite("Prepare cost")
struct PrepareCostTests {
    @Test("a 100,000-item IN list of constants runs as one bound array and answers like a short list")
    func longInList() async throws {
        try await withGoldenDatabase { runner, _ in
            let ids = (0..<100_000).map { "'id\($0)'" } + ["'login'"]
            let long = try await runner.run(
                "SELECT count(*) FROM system.access.audit WHERE action_name IN (\(ids.joined(separator: ", ")))", now: SQLGolden.now)
            let short = try await runner.run("SELECT count(*) FROM system.access.audit WHERE action_name IN ('login', 'x')", now: SQLGolden.now)
            #expect(long.rows == short.rows)
            let negated = try await runner.run(
                "SELECT count(*) FROM system.access.audit WHERE action_name NOT IN (\(ids.joined(separator: ", ")))", now: SQLGolden.now)
            let all = try await runner.run("SELECT count(*) FROM system.access.audit WHERE action_name <> 'login'", now: SQLGolden.now)
            #expect(negated.rows == all.rows)
        }
    }

    @Test("more constants than the argument bound outside IN lists are refused as too complex")
    func manyConstants() {
        // A flat select list of 100,001 constants: within the token bound, past the argument bound.
        let items = (0...SQLiteEmitter.maxArguments).map { "'\($0)'" }.joined(separator: ", ")
        do {
            _ = try SQLCompiler().compile("SELECT \(items)", now: 0)
            Issue.record("compiled")
        } catch {
            #expect(error.code == .tooComplex)
            #expect(error.message.contains("constants"), "\(error)")
        }
    }
}
