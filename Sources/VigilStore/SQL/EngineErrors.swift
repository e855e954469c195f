import GRDBSQLite
import VigilSQL

/// Turns what SQLite reports while a compiled statement runs into Spark's error classes. A runtime function's
/// own `[CODE] message` keeps its code; SQLite's limits become TOO_COMPLEX or VALUE_TOO_LARGE; anything else
/// is INTERNAL_ERROR with a fixed message, and SQLite's own text goes only to `detail` (the server log).
enum EngineErrors {
    static func translate(_ message: String, code: Int32) -> SQLError {
        if let runtime = SparkRuntimeError.parse(message) {
            return SQLError(runtime.code, runtime.message)
        }
        let primary = code & 0xFF
        if primary == SQLITE_TOOBIG || message.contains("string or blob too big") {
            return SQLError(.valueTooLarge, "a value of the statement grew past \(SQLiteReadConnection.maxValueBytes >> 20) MiB")
        }
        if primary == SQLITE_NOMEM {
            return SQLError(.valueTooLarge, "the statement ran out of memory")
        }
        if message == "integer overflow" {
            // sum() and abs() of BIGINT values.
            return SQLError(.arithmeticOverflow, "long overflow")
        }
        for (fragment, explanation) in tooComplex where message.contains(fragment) {
            var error = SQLError(.tooComplex, "the statement is too complex for the SQL engine: \(explanation)")
            error.detail = message
            return error
        }
        var error = SQLError(.internalError, "the statement failed inside the SQL engine; the server log has the detail")
        error.detail = message
        return error
    }

    /// SQLite's own limits, as it words them, and what to tell the user.
    static let tooComplex: [(String, String)] = [
        ("parser stack overflow", "it nests too many parentheses or function calls"),
        ("Expression tree is too large", "an expression is more than 1000 levels deep"),
        ("too many terms in compound SELECT", "too many SELECTs are combined by set operations"),
        ("at most 64 tables in a join", "more than 64 tables are joined"),
        ("too many columns", "it returns or reads too many columns"),
        ("too many arguments on function", "a function call has too many arguments"),
        ("too many SQL variables", "it holds too many constants"),
        ("statement too long", "its compiled text is too long"),
        ("too many FROM clause terms", "more than 64 tables are joined"),
    ]
}
