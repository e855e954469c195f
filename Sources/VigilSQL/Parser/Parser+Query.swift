extension Parser {
    mutating func parseQuery() throws(SQLError) -> Query {
        try enter()
        defer { depth -= 1 }
        var ctes: [CommonTableExpression] = []
        if acceptKeyword("WITH") {
            if isKeyword("RECURSIVE") {
                throw SQLError(.unsupported, "WITH RECURSIVE is not supported", at: current.position)
            }
            repeat {
                let name = try parseIdentifier(what: "a CTE name")
                var columns: [Identifier] = []
                if acceptSymbol("(") {
                    repeat { columns.append(try parseIdentifier(what: "a column name")) } while acceptSymbol(",")
                    try expectSymbol(")")
                }
                try expectKeyword("AS")
                try expectSymbol("(")
                let query = try parseQuery()
                try expectSymbol(")")
                ctes.append(CommonTableExpression(name: name, columnNames: columns, query: query))
            } while acceptSymbol(",")
        }
        let body = try parseQueryBody()
        var orderBy: [OrderItem] = []
        if acceptKeyword("ORDER") {
            try expectKeyword("BY")
            orderBy = try parseOrderItems()
        }
        var limit: Expression?
        if acceptKeyword("LIMIT") {
            if isKeyword("ALL") {
                advance()
            } else {
                limit = try parseExpression()
            }
        }
        if isKeyword("OFFSET") || isKeyword("CLUSTER") || isKeyword("DISTRIBUTE") || isKeyword("SORT") {
            throw SQLError(.unsupported, "\(current.keyword ?? "") is not supported", at: current.position)
        }
        let query = Query(ctes: ctes, body: body, orderBy: orderBy, limit: limit)
        guard query.height <= Self.maxQueryHeight else {
            throw SQLError(.tooComplex, "the query nests more than \(Self.maxQueryHeight) levels deep", at: current.position)
        }
        return query
    }

    mutating func parseOrderItems() throws(SQLError) -> [OrderItem] {
        var items: [OrderItem] = []
        repeat {
            let expression = try parseExpression()
            var ascending: Bool?
            if acceptKeyword("ASC") { ascending = true } else if acceptKeyword("DESC") { ascending = false }
            var nullsFirst: Bool?
            if acceptKeyword("NULLS") {
                if acceptKeyword("FIRST") {
                    nullsFirst = true
                } else {
                    try expectKeyword("LAST")
                    nullsFirst = false
                }
            }
            items.append(OrderItem(expression: expression, ascending: ascending, nullsFirst: nullsFirst))
        } while acceptSymbol(",")
        return items
    }

    mutating func parseQueryBody() throws(SQLError) -> QueryBody {
        var body = try parseQueryTerm()
        while true {
            let op: SetOperator
            if acceptKeyword("UNION") {
                if acceptKeyword("ALL") { op = .unionAll } else {
                    _ = acceptKeyword("DISTINCT")
                    op = .union
                }
            } else if acceptKeyword("EXCEPT") || acceptKeyword("MINUS") {
                _ = acceptKeyword("DISTINCT")
                if isKeyword("ALL") { throw SQLError(.unsupported, "EXCEPT ALL is not supported", at: current.position) }
                op = .except
            } else if acceptKeyword("INTERSECT") {
                _ = acceptKeyword("DISTINCT")
                if isKeyword("ALL") { throw SQLError(.unsupported, "INTERSECT ALL is not supported", at: current.position) }
                op = .intersect
            } else {
                return body
            }
            let position = current.position
            body = .setOperation(op, body, try parseQueryTerm())
            if body.termCount > Self.maxCompoundTerms {
                throw SQLError(.tooComplex, "more than \(Self.maxCompoundTerms) SELECTs are combined by set operations; split the query", at: position)
            }
        }
    }

    mutating func parseQueryTerm() throws(SQLError) -> QueryBody {
        if isSymbol("(") {
            advance()
            let query = try parseQuery()
            try expectSymbol(")")
            if query.ctes.isEmpty, query.orderBy.isEmpty, query.limit == nil { return query.body }
            return .nested(query)
        }
        guard isKeyword("SELECT") else {
            throw SQLError(.syntax, "expected SELECT, got \(current.describedForError)", at: current.position)
        }
        return .select(try parseSelect())
    }

    mutating func parseSelect() throws(SQLError) -> Select {
        let position = current.position
        try expectKeyword("SELECT")
        var distinct = false
        if acceptKeyword("DISTINCT") { distinct = true } else { _ = acceptKeyword("ALL") }
        var items: [SelectItem] = []
        repeat { items.append(try parseSelectItem()) } while acceptSymbol(",")

        var from: FromItem?
        var lateralViews: [LateralView] = []
        if acceptKeyword("FROM") {
            var item = try parseJoinedFromItem()
            while acceptSymbol(",") {
                let position = current.position
                item = .join(.cross, item, try parseJoinedFromItem(), on: nil)
                try checkRelationCount(item, at: position)
            }
            from = item
            while isKeyword("LATERAL") {
                lateralViews.append(try parseLateralView())
            }
        }
        var whereClause: Expression?
        if acceptKeyword("WHERE") { whereClause = try parseExpression() }
        var groupBy: [Expression] = []
        if acceptKeyword("GROUP") {
            try expectKeyword("BY")
            if isKeyword("ALL") || isKeyword("GROUPING") || isKeyword("ROLLUP") || isKeyword("CUBE") {
                throw SQLError(.unsupported, "GROUP BY \(current.keyword ?? "") is not supported", at: current.position)
            }
            repeat { groupBy.append(try parseExpression()) } while acceptSymbol(",")
        }
        var having: Expression?
        if acceptKeyword("HAVING") { having = try parseExpression() }
        if isKeyword("WINDOW") || isKeyword("QUALIFY") || isKeyword("PIVOT") {
            throw SQLError(.unsupported, "\(current.keyword ?? "") clauses are not supported", at: current.position)
        }
        return Select(
            distinct: distinct, items: items, from: from, lateralViews: lateralViews, whereClause: whereClause,
            groupBy: groupBy, having: having, position: position)
    }

    mutating func parseSelectItem() throws(SQLError) -> SelectItem {
        if isSymbol("*") {
            let position = current.position
            advance()
            return .star(qualifier: [], position: position)
        }
        // `t.*` / `a.b.*`
        var lookahead = 0
        var qualifier: [Identifier] = []
        while true {
            let token = peekToken(lookahead)
            let name: String
            switch token.kind {
            case .word(let word) where !Self.reserved.contains(word.uppercased()): name = word
            case .quotedIdentifier(let quoted): name = quoted
            default: name = ""
            }
            guard !name.isEmpty, peekToken(lookahead + 1).kind == .symbol(".") else { break }
            qualifier.append(Identifier(name, at: token.position))
            if peekToken(lookahead + 2).kind == .symbol("*") {
                let position = peekToken(lookahead + 2).position
                for _ in 0..<(lookahead + 3) { advance() }
                return .star(qualifier: qualifier, position: position)
            }
            lookahead += 2
        }
        let expression = try parseExpression()
        if acceptKeyword("AS") {
            if acceptSymbol("(") {
                var aliases: [Identifier] = []
                repeat { aliases.append(try parseIdentifier(what: "an alias")) } while acceptSymbol(",")
                try expectSymbol(")")
                return .expression(expression, aliases: aliases)
            }
            return .expression(expression, aliases: [try parseIdentifier(what: "an alias")])
        }
        if let alias = try parseOptionalAlias() { return .expression(expression, aliases: [alias]) }
        return .expression(expression, aliases: [])
    }

    mutating func parseJoinedFromItem() throws(SQLError) -> FromItem {
        var item = try parseFromPrimary()
        while true {
            let position = current.position
            let kind: JoinKind
            if acceptKeyword("JOIN") {
                kind = .inner
            } else if isKeyword("INNER") {
                advance()
                try expectKeyword("JOIN")
                kind = .inner
            } else if isKeyword("CROSS") {
                advance()
                try expectKeyword("JOIN")
                kind = .cross
            } else if isKeyword("LEFT") || isKeyword("RIGHT") || isKeyword("FULL") {
                let word = current.keyword ?? ""
                advance()
                if isKeyword("SEMI") || isKeyword("ANTI") {
                    throw SQLError(.unsupported, "LEFT \(current.keyword ?? "") JOIN is not supported; use IN or EXISTS", at: current.position)
                }
                _ = acceptKeyword("OUTER")
                try expectKeyword("JOIN")
                kind = word == "LEFT" ? .left : word == "RIGHT" ? .right : .full
            } else if isKeyword("NATURAL") {
                throw SQLError(.unsupported, "NATURAL JOIN is not supported; write the ON condition", at: current.position)
            } else {
                return item
            }
            let right = try parseFromPrimary()
            var condition: Expression?
            if kind != .cross {
                if isKeyword("USING") {
                    throw SQLError(.unsupported, "JOIN ... USING is not supported; write the ON condition", at: current.position)
                }
                if acceptKeyword("ON") { condition = try parseExpression() } else if kind != .inner {
                    throw SQLError(.syntax, "expected ON after \(kind.rawValue)", at: current.position)
                }
            }
            item = .join(condition == nil && kind == .inner ? .cross : kind, item, right, on: condition)
            try checkRelationCount(item, at: position)
        }
    }

    func checkRelationCount(_ item: FromItem, at position: SourcePosition) throws(SQLError) {
        if item.relationCount > Self.maxJoinedRelations {
            throw SQLError(.tooComplex, "more than \(Self.maxJoinedRelations) tables are joined in one FROM clause", at: position)
        }
    }

    mutating func parseFromPrimary() throws(SQLError) -> FromItem {
        let position = current.position
        try enter()
        defer { depth -= 1 }
        if acceptSymbol("(") {
            if isKeyword("SELECT") || isKeyword("WITH") || isSymbol("(") {
                let query = try parseQuery()
                try expectSymbol(")")
                return .subquery(query, alias: try parseOptionalAlias(), position: position)
            }
            let item = try parseJoinedFromItem()
            try expectSymbol(")")
            return item
        }
        if isKeyword("LATERAL") || isKeyword("VALUES") {
            throw SQLError(.unsupported, "\(current.keyword ?? "") in FROM is not supported", at: current.position)
        }
        var name = [try parseIdentifier(what: "a table name")]
        while acceptSymbol(".") { name.append(try parseIdentifier(what: "a table name")) }
        if isSymbol("(") {
            throw SQLError(.unsupported, "table-valued functions are not supported", at: current.position)
        }
        return .table(name: name, alias: try parseOptionalAlias())
    }

    mutating func parseLateralView() throws(SQLError) -> LateralView {
        try expectKeyword("LATERAL")
        try expectKeyword("VIEW")
        let outer = acceptKeyword("OUTER")
        let generator = try parsePrimary()
        guard case .function = generator.kind else {
            throw SQLError(.syntax, "LATERAL VIEW needs a generator function such as explode(...)", at: generator.position)
        }
        var tableAlias: Identifier?
        if !isKeyword("AS") { tableAlias = try parseIdentifier(what: "a table alias") }
        var columns: [Identifier] = []
        if acceptKeyword("AS") {
            repeat { columns.append(try parseIdentifier(what: "a column alias")) } while acceptSymbol(",")
        }
        return LateralView(outer: outer, generator: generator, tableAlias: tableAlias, columnAliases: columns)
    }
}
