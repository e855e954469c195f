/// A parsed statement: `[WITH ...] body [ORDER BY ...] [LIMIT n]`. Positions are kept for error messages;
/// equality ignores them, so printing a query and parsing it again gives an equal value.
public struct Query: Sendable, Equatable {
    public let ctes: [CommonTableExpression]
    public let body: QueryBody
    public let orderBy: [OrderItem]
    public let limit: Expression?
    /// Levels of nesting from this query down to its deepest leaf, through expressions, subqueries, joins and
    /// set operations: what the binder and emitter will recurse through (see `Expression.height`).
    public let height: Int

    public init(ctes: [CommonTableExpression] = [], body: QueryBody, orderBy: [OrderItem] = [], limit: Expression? = nil) {
        self.ctes = ctes
        self.body = body
        self.orderBy = orderBy
        self.limit = limit
        var tallest = max(body.height, limit?.height ?? 0)
        tallest = ctes.reduce(tallest) { max($0, $1.query.height) }
        tallest = orderBy.reduce(tallest) { max($0, $1.expression.height) }
        height = tallest + 1
    }

    public static func == (lhs: Query, rhs: Query) -> Bool {
        lhs.ctes == rhs.ctes && lhs.body == rhs.body && lhs.orderBy == rhs.orderBy && lhs.limit == rhs.limit
    }
}

public struct CommonTableExpression: Sendable, Equatable {
    public var name: Identifier
    public var columnNames: [Identifier]
    public var query: Query
}

public indirect enum QueryBody: Sendable, Equatable {
    case select(Select)
    case setOperation(SetOperator, QueryBody, QueryBody)
    /// A parenthesised query with its own WITH, ORDER BY or LIMIT.
    case nested(Query)

    var height: Int {
        switch self {
        case .select(let select): select.height
        case .setOperation(_, let left, let right): max(left.height, right.height) + 1
        case .nested(let query): query.height
        }
    }

    /// SELECTs joined by set operations: what SQLite counts against its compound limit.
    var termCount: Int {
        switch self {
        case .select, .nested: 1
        case .setOperation(_, let left, let right): left.termCount + right.termCount
        }
    }
}

public enum SetOperator: String, Sendable, Equatable {
    case unionAll = "UNION ALL"
    case union = "UNION"
    case except = "EXCEPT"
    case intersect = "INTERSECT"
}

public struct Select: Sendable, Equatable {
    public var distinct: Bool
    public var items: [SelectItem]
    public var from: FromItem?
    public var lateralViews: [LateralView]
    public var whereClause: Expression?
    public var groupBy: [Expression]
    public var having: Expression?
    public var position: SourcePosition

    var height: Int {
        var tallest = max(from?.height ?? 0, whereClause?.height ?? 0, having?.height ?? 0)
        for item in items { if case .expression(let expression, _) = item { tallest = max(tallest, expression.height) } }
        tallest = groupBy.reduce(tallest) { max($0, $1.height) }
        tallest = lateralViews.reduce(tallest) { max($0, $1.generator.height) }
        return tallest + 1
    }

    public static func == (lhs: Select, rhs: Select) -> Bool {
        lhs.distinct == rhs.distinct && lhs.items == rhs.items && lhs.from == rhs.from
            && lhs.lateralViews == rhs.lateralViews && lhs.whereClause == rhs.whereClause
            && lhs.groupBy == rhs.groupBy && lhs.having == rhs.having
    }
}

public enum SelectItem: Sendable, Equatable {
    /// `*` or `t.*`.
    case star(qualifier: [Identifier], position: SourcePosition)
    /// An expression with its optional alias; a generator may take several (`AS (pos, value)`).
    case expression(Expression, aliases: [Identifier])

    public static func == (lhs: SelectItem, rhs: SelectItem) -> Bool {
        switch (lhs, rhs) {
        case (.star(let a, _), .star(let b, _)): a == b
        case (.expression(let a, let x), .expression(let b, let y)): a == b && x == y
        default: false
        }
    }
}

public indirect enum FromItem: Sendable, Equatable {
    case table(name: [Identifier], alias: Identifier?)
    case subquery(Query, alias: Identifier?, position: SourcePosition)
    case join(JoinKind, FromItem, FromItem, on: Expression?)

    var height: Int {
        switch self {
        case .table: 1
        case .subquery(let query, _, _): query.height + 1
        case .join(_, let left, let right, let condition): max(left.height, right.height, condition?.height ?? 0) + 1
        }
    }

    /// Tables and subqueries joined here: SQLite joins at most 64.
    var relationCount: Int {
        switch self {
        case .table, .subquery: 1
        case .join(_, let left, let right, _): left.relationCount + right.relationCount
        }
    }

    public static func == (lhs: FromItem, rhs: FromItem) -> Bool {
        switch (lhs, rhs) {
        case (.table(let a, let x), .table(let b, let y)): a == b && x == y
        case (.subquery(let a, let x, _), .subquery(let b, let y, _)): a == b && x == y
        case (.join(let k1, let l1, let r1, let o1), .join(let k2, let l2, let r2, let o2)):
            k1 == k2 && l1 == l2 && r1 == r2 && o1 == o2
        default: false
        }
    }
}

public enum JoinKind: String, Sendable, Equatable {
    case inner = "JOIN"
    case left = "LEFT JOIN"
    case right = "RIGHT JOIN"
    case full = "FULL JOIN"
    case cross = "CROSS JOIN"
}

/// `LATERAL VIEW [OUTER] explode(expr) tableAlias AS column[, column]`.
public struct LateralView: Sendable, Equatable {
    public var outer: Bool
    public var generator: Expression
    public var tableAlias: Identifier?
    public var columnAliases: [Identifier]
}

public struct OrderItem: Sendable, Equatable {
    public var expression: Expression
    /// nil when the direction was not written (ascending).
    public var ascending: Bool?
    /// nil when NULLS FIRST/LAST was not written (Spark: first for ASC, last for DESC).
    public var nullsFirst: Bool?
}
