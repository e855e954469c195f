/// An expression of the Spark dialect, as parsed (names not yet resolved).
public struct Expression: Sendable, Equatable {
    public let kind: Kind
    public var position: SourcePosition
    /// Operator levels from here to the deepest leaf (a leaf is 1; a subquery counts as one level, its own
    /// nesting is the parser's to bound). The parser refuses a statement past `Parser.maxExpressionHeight`, so
    /// every later stage, which walks the tree recursively, runs in bounded stack.
    public let height: Int

    public init(_ kind: Kind, at position: SourcePosition = .start) {
        self.kind = kind
        self.position = position
        self.height = kind.childHeight + 1
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

        /// The height of the tallest direct child (0 for a leaf).
        var childHeight: Int {
            switch self {
            case .name, .literal, .parameter: 0
            case .exists(let query), .scalarSubquery(let query): query.height
            case .unary(_, let operand): operand.height
            case .binary(_, let left, let right): max(left.height, right.height)
            case .function(let call): call.height
            case .field(let base, _): base.height
            case .subscript(let base, let key): max(base.height, key.height)
            case .cast(let value, _): value.height
            case .caseWhen(let operand, let branches, let otherwise):
                branches.reduce(max(operand?.height ?? 0, otherwise?.height ?? 0)) {
                    max($0, $1.condition.height, $1.result.height)
                }
            case .inList(let value, let list, _): list.reduce(value.height) { max($0, $1.height) }
            case .inQuery(let value, let query, _): max(value.height, query.height)
            case .between(let value, let low, let high, _): max(value.height, low.height, high.height)
            case .like(_, let value, let pattern, _): max(value.height, pattern.height)
            case .isNull(let value, _): value.height
            }
        }
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

    var height: Int {
        var tallest = arguments.reduce(0) { max($0, $1.height) }
        if let window {
            tallest = window.partitionBy.reduce(tallest) { max($0, $1.height) }
            tallest = window.orderBy.reduce(tallest) { max($0, $1.expression.height) }
        }
        return tallest
    }
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
