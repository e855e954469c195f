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
    }

    public var code: Code
    public var message: String
    public var position: SourcePosition?

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
