/// Expression grammar, lowest precedence first, as Spark's: OR < AND < NOT < comparison and predicates
/// (`=`, `IN`, `LIKE`, `BETWEEN`, `IS NULL`) < `|` < `^` < `&` < `+ - ||` < `* / % DIV` < unary < postfix.
extension Parser {
    mutating func parseExpression() throws(SQLError) -> Expression {
        try enter()
        defer { depth -= 1 }
        return try parseOr()
    }

    private mutating func parseOr() throws(SQLError) -> Expression {
        var operands = [try parseAnd()]
        var positions: [SourcePosition] = []
        while isKeyword("OR") {
            positions.append(current.position)
            advance()
            operands.append(try parseAnd())
        }
        return try balanced(.or, operands, positions)
    }

    private mutating func parseAnd() throws(SQLError) -> Expression {
        var operands = [try parseNot()]
        var positions: [SourcePosition] = []
        while isKeyword("AND") {
            positions.append(current.position)
            advance()
            operands.append(try parseNot())
        }
        return try balanced(.and, operands, positions)
    }

    /// A chain `a AND b AND c ...` as the balanced tree Spark's parser builds for it (AstBuilder splits the
    /// operands in the middle, recursively), so that a chain of 20,000 conditions is 15 levels deep, not 20,000,
    /// and its automatic column name is Spark's. `positions[i]` is where the operator after operand i stands.
    private func balanced(_ op: BinaryOperator, _ operands: [Expression], _ positions: [SourcePosition]) throws(SQLError) -> Expression {
        func reduce(_ low: Int, _ high: Int) throws(SQLError) -> Expression {
            switch high - low {
            case 0: return operands[low]
            case 1: return try node(.binary(op, operands[low], operands[high]), at: positions[low])
            default:
                let middle = low + (high - low) / 2
                return try node(.binary(op, try reduce(low, middle), try reduce(middle + 1, high)), at: positions[middle])
            }
        }
        return try reduce(0, operands.count - 1)
    }

    private mutating func parseNot() throws(SQLError) -> Expression {
        if isKeyword("NOT") || isSymbol("!") {
            let position = current.position
            advance()
            try enter()
            defer { depth -= 1 }
            return try node(.unary(.not, try parseNot()), at: position)
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
                left = try node(.binary(op, left, try parseBitOr()), at: position)
                continue
            }
            if isKeyword("IS") {
                advance()
                let negated = acceptKeyword("NOT")
                if acceptKeyword("NULL") {
                    left = try node(.isNull(left, negated: negated), at: position)
                    continue
                }
                if isKeyword("TRUE") || isKeyword("FALSE") {
                    let value = isKeyword("TRUE")
                    advance()
                    let literal = try node(.literal(.boolean(value)), at: position)
                    left = try node(.binary(.nullSafeEqual, left, literal), at: position)
                    if negated { left = try node(.unary(.not, left), at: position) }
                    continue
                }
                if isKeyword("DISTINCT") {
                    advance()
                    try expectKeyword("FROM")
                    left = try node(.binary(.nullSafeEqual, left, try parseBitOr()), at: position)
                    if !negated { left = try node(.unary(.not, left), at: position) }
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
                    left = try node(.inQuery(left, query, negated: negated), at: position)
                } else {
                    var values: [Expression] = []
                    repeat { values.append(try parseExpression()) } while acceptSymbol(",")
                    try expectSymbol(")")
                    left = try node(.inList(left, values, negated: negated), at: position)
                }
                continue
            }
            if acceptKeyword("BETWEEN") {
                let low = try parseBitOr()
                try expectKeyword("AND")
                let high = try parseBitOr()
                left = try node(.between(left, low, high, negated: negated), at: position)
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
                left = try node(.like(op, left, pattern, negated: negated), at: position)
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
                left = try node(.binary(op, left, try next(&self)), at: position)
            } else if operators["DIV"] != nil, isKeyword("DIV") {
                advance()
                left = try node(.binary(.integerDivide, left, try next(&self)), at: position)
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
            return try node(.unary(.negate, operand), at: position)
        }
        if acceptSymbol("+") { return try node(.unary(.plus, try parseUnary()), at: position) }
        if acceptSymbol("~") { return try node(.unary(.bitNot, try parseUnary()), at: position) }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws(SQLError) -> Expression {
        var expression = try parsePrimary()
        while true {
            let position = current.position
            if acceptSymbol("[") {
                let key = try parseExpression()
                try expectSymbol("]")
                expression = try node(.subscript(expression, key), at: position)
            } else if isSymbol("."), case .name(var parts) = expression.kind {
                advance()
                parts.append(try parseIdentifier(what: "a field name"))
                expression = try node(.name(parts), at: expression.position)
            } else if acceptSymbol(".") {
                expression = try node(.field(expression, try parseIdentifier(what: "a field name")), at: position)
            } else if acceptSymbol("::") {
                expression = try node(.cast(expression, try parseType()), at: position)
            } else {
                return expression
            }
        }
    }
}
