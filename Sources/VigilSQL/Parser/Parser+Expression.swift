/// Expression grammar, lowest precedence first, as Spark's: OR < AND < NOT < comparison and predicates
/// (`=`, `IN`, `LIKE`, `BETWEEN`, `IS NULL`) < `|` < `^` < `&` < `+ - ||` < `* / % DIV` < unary < postfix.
extension Parser {
    mutating func parseExpression() throws(SQLError) -> Expression {
        try enter()
        defer { depth -= 1 }
        return try parseOr()
    }

    private mutating func parseOr() throws(SQLError) -> Expression {
        var left = try parseAnd()
        while isKeyword("OR") {
            let position = current.position
            advance()
            left = Expression(.binary(.or, left, try parseAnd()), at: position)
        }
        return left
    }

    private mutating func parseAnd() throws(SQLError) -> Expression {
        var left = try parseNot()
        while isKeyword("AND") {
            let position = current.position
            advance()
            left = Expression(.binary(.and, left, try parseNot()), at: position)
        }
        return left
    }

    private mutating func parseNot() throws(SQLError) -> Expression {
        if isKeyword("NOT") || isSymbol("!") {
            let position = current.position
            advance()
            try enter()
            defer { depth -= 1 }
            return Expression(.unary(.not, try parseNot()), at: position)
        }
        return try parsePredicate()
    }

    private static let comparisons: [String: BinaryOperator] = [
        "=": .equal, "==": .equal, "<>": .notEqual, "!=": .notEqual, "<": .less, "<=": .lessOrEqual,
        ">": .greater, ">=": .greaterOrEqual, "<=>": .nullSafeEqual,
    ]

    private mutating func parsePredicate() throws(SQLError) -> Expression {
        var left = try parseBitOr()
        while true {
            let position = current.position
            if case .symbol(let symbol) = current.kind, let op = Self.comparisons[symbol] {
                advance()
                left = Expression(.binary(op, left, try parseBitOr()), at: position)
                continue
            }
            if isKeyword("IS") {
                advance()
                let negated = acceptKeyword("NOT")
                if acceptKeyword("NULL") {
                    left = Expression(.isNull(left, negated: negated), at: position)
                    continue
                }
                if isKeyword("TRUE") || isKeyword("FALSE") {
                    let value = isKeyword("TRUE")
                    advance()
                    let literal = Expression(.literal(.boolean(value)), at: position)
                    left = Expression(.binary(.nullSafeEqual, left, literal), at: position)
                    if negated { left = Expression(.unary(.not, left), at: position) }
                    continue
                }
                if isKeyword("DISTINCT") {
                    advance()
                    try expectKeyword("FROM")
                    left = Expression(.binary(.nullSafeEqual, left, try parseBitOr()), at: position)
                    if !negated { left = Expression(.unary(.not, left), at: position) }
                    continue
                }
                throw SQLError(.syntax, "expected NULL, TRUE, FALSE or DISTINCT FROM after IS, got \(current.describedForError)", at: current.position)
            }
            var negated = false
            if isKeyword("NOT"), let next = peekToken(1).keyword,
                ["IN", "LIKE", "ILIKE", "RLIKE", "REGEXP", "BETWEEN"].contains(next)
            {
                advance()
                negated = true
            }
            if acceptKeyword("IN") {
                try expectSymbol("(")
                if isKeyword("SELECT") || isKeyword("WITH") {
                    let query = try parseQuery()
                    try expectSymbol(")")
                    left = Expression(.inQuery(left, query, negated: negated), at: position)
                } else {
                    var values: [Expression] = []
                    repeat { values.append(try parseExpression()) } while acceptSymbol(",")
                    try expectSymbol(")")
                    left = Expression(.inList(left, values, negated: negated), at: position)
                }
                continue
            }
            if acceptKeyword("BETWEEN") {
                let low = try parseBitOr()
                try expectKeyword("AND")
                let high = try parseBitOr()
                left = Expression(.between(left, low, high, negated: negated), at: position)
                continue
            }
            if let keyword = current.keyword, ["LIKE", "ILIKE", "RLIKE", "REGEXP"].contains(keyword) {
                advance()
                let op: PatternOperator = keyword == "LIKE" ? .like : keyword == "ILIKE" ? .ilike : .rlike
                if isKeyword("ANY") || isKeyword("ALL") || isKeyword("SOME") {
                    throw SQLError(.unsupported, "\(keyword) \(current.keyword ?? "") is not supported", at: current.position)
                }
                let pattern = try parseBitOr()
                if isKeyword("ESCAPE") {
                    throw SQLError(.unsupported, "LIKE ... ESCAPE is not supported; the escape character is '\\'", at: current.position)
                }
                left = Expression(.like(op, left, pattern, negated: negated), at: position)
                continue
            }
            if negated {
                throw SQLError(.syntax, "unexpected NOT", at: position)
            }
            return left
        }
    }

    private mutating func parseBinaryLevel(
        _ operators: [String: BinaryOperator], next: (inout Parser) throws(SQLError) -> Expression
    ) throws(SQLError) -> Expression {
        var left = try next(&self)
        while true {
            let position = current.position
            if case .symbol(let symbol) = current.kind, let op = operators[symbol] {
                advance()
                left = Expression(.binary(op, left, try next(&self)), at: position)
            } else if operators["DIV"] != nil, isKeyword("DIV") {
                advance()
                left = Expression(.binary(.integerDivide, left, try next(&self)), at: position)
            } else {
                return left
            }
        }
    }

    private mutating func parseBitOr() throws(SQLError) -> Expression {
        try parseBinaryLevel(["|": .bitOr]) { (parser: inout Parser) throws(SQLError) in try parser.parseBitXor() }
    }

    private mutating func parseBitXor() throws(SQLError) -> Expression {
        try parseBinaryLevel(["^": .bitXor]) { (parser: inout Parser) throws(SQLError) in try parser.parseBitAnd() }
    }

    private mutating func parseBitAnd() throws(SQLError) -> Expression {
        try parseBinaryLevel(["&": .bitAnd]) { (parser: inout Parser) throws(SQLError) in try parser.parseAdditive() }
    }

    private mutating func parseAdditive() throws(SQLError) -> Expression {
        try parseBinaryLevel(["+": .add, "-": .subtract, "||": .concat]) { (parser: inout Parser) throws(SQLError) in
            try parser.parseMultiplicative()
        }
    }

    private mutating func parseMultiplicative() throws(SQLError) -> Expression {
        try parseBinaryLevel(["*": .multiply, "/": .divide, "%": .remainder, "DIV": .integerDivide]) {
            (parser: inout Parser) throws(SQLError) in try parser.parseUnary()
        }
    }

    private mutating func parseUnary() throws(SQLError) -> Expression {
        let position = current.position
        try enter()
        defer { depth -= 1 }
        if acceptSymbol("-") {
            let operand = try parseUnary()
            return Expression(.unary(.negate, operand), at: position)
        }
        if acceptSymbol("+") { return Expression(.unary(.plus, try parseUnary()), at: position) }
        if acceptSymbol("~") { return Expression(.unary(.bitNot, try parseUnary()), at: position) }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws(SQLError) -> Expression {
        var expression = try parsePrimary()
        while true {
            let position = current.position
            if acceptSymbol("[") {
                let key = try parseExpression()
                try expectSymbol("]")
                expression = Expression(.subscript(expression, key), at: position)
            } else if isSymbol("."), case .name(var parts) = expression.kind {
                advance()
                parts.append(try parseIdentifier(what: "a field name"))
                expression = Expression(.name(parts), at: expression.position)
            } else if acceptSymbol(".") {
                expression = Expression(.field(expression, try parseIdentifier(what: "a field name")), at: position)
            } else if acceptSymbol("::") {
                expression = Expression(.cast(expression, try parseType()), at: position)
            } else {
                return expression
            }
        }
    }
}
