/// Where a token starts in the statement text: 1-based line and column, 0-based character offset.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    public static let start = SourcePosition(line: 1, column: 1, offset: 0)
    public var description: String { "line \(line), column \(column)" }
}

/// The one error type of `VigilSQL`. `code` is a stable name a client can branch on; `position` points at the
/// offending token so `vigil sql` can draw a caret under it.
public struct SQLError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The text is not valid SQL (`PARSE_SYNTAX_ERROR` in Spark).
        public static let syntax = Code(rawValue: "PARSE_SYNTAX_ERROR")
        /// The statement is valid Spark SQL but outside Vigil's read-only dialect (DDL, DML, PRAGMA...).
        public static let unsupported = Code(rawValue: "UNSUPPORTED_FEATURE")
        public static let tableNotFound = Code(rawValue: "TABLE_OR_VIEW_NOT_FOUND")
        public static let columnNotFound = Code(rawValue: "UNRESOLVED_COLUMN")
        public static let fieldNotFound = Code(rawValue: "FIELD_NOT_FOUND")
        public static let functionNotFound = Code(rawValue: "UNRESOLVED_ROUTINE")
        public static let ambiguous = Code(rawValue: "AMBIGUOUS_REFERENCE")
        public static let typeMismatch = Code(rawValue: "DATATYPE_MISMATCH")
        public static let wrongArguments = Code(rawValue: "WRONG_NUM_ARGS")
        public static let invalidGrouping = Code(rawValue: "MISSING_AGGREGATION")
        /// A runtime failure reported by the database while the statement ran (bad regex, cast, division by zero).
        public static let runtime = Code(rawValue: "RUNTIME_ERROR")
        /// The statement ran past its time limit.
        public static let timeout = Code(rawValue: "STATEMENT_TIMEOUT")
        public static let canceled = Code(rawValue: "CANCELED")
        /// The statement is too large or too deeply nested to compile safely (operator chains, nesting, joins,
        /// set operations, token count); refused with the position where the limit was passed.
        public static let tooComplex = Code(rawValue: "FAILED_TO_PARSE_TOO_COMPLEX")
        // Spark's ANSI runtime errors, raised by the runtime functions and the result checks.
        public static let arithmeticOverflow = Code(rawValue: "ARITHMETIC_OVERFLOW")
        public static let castOverflow = Code(rawValue: "CAST_OVERFLOW")
        public static let castInvalidInput = Code(rawValue: "CAST_INVALID_INPUT")
        public static let numericOutOfRange = Code(rawValue: "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION")
        public static let divideByZero = Code(rawValue: "DIVIDE_BY_ZERO")
        public static let remainderByZero = Code(rawValue: "REMAINDER_BY_ZERO")
        public static let literalOutOfRange = Code(rawValue: "INVALID_NUMERIC_LITERAL_RANGE")
        public static let intervalOverflow = Code(rawValue: "INVALID_INTERVAL_FORMAT.ARITHMETIC_EXCEPTION")
        public static let regexGroupIndex = Code(rawValue: "INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX")
        public static let datetimeOverflow = Code(rawValue: "DATETIME_OVERFLOW")
        public static let invalidPattern = Code(rawValue: "INVALID_PARAMETER_VALUE.PATTERN")
        /// A value or the result grew past a size limit (a string longer than SQLite's limit, a result past the byte cap).
        public static let valueTooLarge = Code(rawValue: "VALUE_TOO_LARGE")
        /// The engine failed in a way Vigil does not recognise; the detail is in the server log only.
        public static let internalError = Code(rawValue: "INTERNAL_ERROR")
        /// The SQL executor refused the statement (too many running or queued).
        public static let resourceExhausted = Code(rawValue: "RESOURCE_EXHAUSTED")

        /// The SQLSTATE Spark reports with this error class (the Statement Execution API's `sql_state`).
        public var sqlState: String? {
            switch rawValue {
            case "PARSE_SYNTAX_ERROR": "42601"
            case "FAILED_TO_PARSE_TOO_COMPLEX": "54001"
            case "TABLE_OR_VIEW_NOT_FOUND": "42P01"
            case "UNRESOLVED_COLUMN": "42703"
            case "FIELD_NOT_FOUND": "42704"
            case "UNRESOLVED_ROUTINE": "42883"
            case "AMBIGUOUS_REFERENCE": "42704"
            case "DATATYPE_MISMATCH": "42K09"
            case "WRONG_NUM_ARGS": "42605"
            case "MISSING_AGGREGATION": "42803"
            case "UNSUPPORTED_FEATURE": "0A000"
            case "ARITHMETIC_OVERFLOW", "CAST_OVERFLOW", "INVALID_NUMERIC_LITERAL_RANGE": "22003"
            case let code where code.hasPrefix("NUMERIC_VALUE_OUT_OF_RANGE"): "22003"
            case "CAST_INVALID_INPUT": "22018"
            case "DIVIDE_BY_ZERO", "REMAINDER_BY_ZERO": "22012"
            case "DATETIME_OVERFLOW": "22008"
            case let code where code.hasPrefix("INVALID_INTERVAL_FORMAT"): "22006"
            case let code where code.hasPrefix("INVALID_PARAMETER_VALUE"): "22023"
            case "STATEMENT_TIMEOUT", "CANCELED": "57014"
            case "VALUE_TOO_LARGE": "54000"
            case "INTERNAL_ERROR": "XX000"
            default: nil
            }
        }
    }

    public var code: Code
    public var message: String
    public var position: SourcePosition?
    /// What the engine itself said, for the server log only: never shown to the client (it can name internal
    /// tables and functions).
    public var detail: String?

    public init(_ code: Code, _ message: String, at position: SourcePosition? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    public var description: String {
        if let position { return "[\(code.rawValue)] \(message) (\(position))" }
        return "[\(code.rawValue)] \(message)"
    }
}
