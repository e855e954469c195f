/// An expression of the Spark dialect, as parsed (names not yet resolved).
public struct Expression: Sendable, Equatable {
    public var kind: Kind
    public var position: SourcePosition

    public init(_ kind: Kind, at position: SourcePosition = .start) {
        self.kind = kind
        self.position = position
    }

    public static func == (lhs: Expression, rhs: Expression) -> Bool { lhs.kind == rhs.kind }

    public indirect enum Kind: Sendable, Equatable {
        /// A dotted name `a.b.c`: table qualifier, column, struct fields or map keys; the binder decides.
        case name([Identifier])
        case literal(Literal)
        case parameter(String)
        case unary(UnaryOperator, Expression)
        case binary(BinaryOperator, Expression, Expression)
        case function(FunctionCall)
        /// `expr.field` on something that is not a plain name (`(a).b`, `f(x).b`, `m['k'].c`).
        case field(Expression, Identifier)
        /// `expr[key]`.
        case `subscript`(Expression, Expression)
        case cast(Expression, SparkType)
        case caseWhen(operand: Expression?, branches: [WhenBranch], otherwise: Expression?)
        case inList(Expression, [Expression], negated: Bool)
        case inQuery(Expression, Query, negated: Bool)
        case between(Expression, Expression, Expression, negated: Bool)
        case like(PatternOperator, Expression, Expression, negated: Bool)
        case isNull(Expression, negated: Bool)
        case exists(Query)
        case scalarSubquery(Query)
    }
}

public struct WhenBranch: Sendable, Equatable {
    public var condition: Expression
    public var result: Expression
}

public struct FunctionCall: Sendable, Equatable {
    public var name: Identifier
    public var arguments: [Expression]
    public var distinct: Bool
    /// `count(*)`.
    public var star: Bool
    public var window: WindowSpec?
}

public struct WindowSpec: Sendable, Equatable {
    public var partitionBy: [Expression]
    public var orderBy: [OrderItem]
    public var frame: WindowFrame?
}

public struct WindowFrame: Sendable, Hashable {
    public enum Unit: String, Sendable { case rows = "ROWS", range = "RANGE" }
    public enum Bound: Sendable, Hashable {
        case unboundedPreceding, unboundedFollowing, currentRow
        case preceding(Int), following(Int)
    }
    public var unit: Unit
    public var start: Bound
    public var end: Bound
}

public enum Literal: Sendable, Equatable {
    case null
    case boolean(Bool)
    case string(String)
    /// A number exactly as written: `30`, `10L`, `1.5`, `1e9`.
    case number(String)
    case date(String)
    case timestamp(String)
    /// A day-time interval as (amount, unit) parts: `INTERVAL 1 DAY 2 HOURS`.
    case interval([IntervalPart])
}

public struct IntervalPart: Sendable, Equatable {
    public enum Unit: String, Sendable, CaseIterable {
        case day = "DAYS", hour = "HOURS", minute = "MINUTES", second = "SECONDS", millisecond = "MILLISECONDS"

        public var milliseconds: Int64 {
            switch self {
            case .day: 86_400_000
            case .hour: 3_600_000
            case .minute: 60_000
            case .second: 1000
            case .millisecond: 1
            }
        }

        /// Accepts Spark's spellings: DAY, DAYS, day, HOUR... MS.
        public init?(spelling: String) {
            switch spelling.uppercased() {
            case "DAY", "DAYS": self = .day
            case "HOUR", "HOURS": self = .hour
            case "MINUTE", "MINUTES": self = .minute
            case "SECOND", "SECONDS": self = .second
            case "MILLISECOND", "MILLISECONDS": self = .millisecond
            default: return nil
            }
        }
    }
    public var amount: Int64
    public var unit: Unit
}

public enum UnaryOperator: String, Sendable { case negate = "-", plus = "+", not = "NOT", bitNot = "~" }

public enum BinaryOperator: String, Sendable {
    case or = "OR", and = "AND"
    case equal = "=", notEqual = "<>", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case nullSafeEqual = "<=>"
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", integerDivide = "DIV"
    case concat = "||"
    case bitAnd = "&", bitOr = "|", bitXor = "^"
}

public enum PatternOperator: String, Sendable { case like = "LIKE", ilike = "ILIKE", rlike = "RLIKE" }
