extension Parser {
    mutating func parsePrimary() throws(SQLError) -> Expression {
        let token = current
        let position = token.position
        switch token.kind {
        case .string(var value):
            advance()
            // Adjacent string literals concatenate, as in Spark.
            while case .string(let more) = current.kind {
                value += more
                advance()
            }
            return try node(.literal(.string(value)), at: position)
        case .number(let text):
            advance()
            return try node(.literal(.number(text)), at: position)
        case .parameter(let name):
            advance()
            return try node(.parameter(name), at: position)
        case .quotedIdentifier(let name):
            advance()
            return try node(.name([Identifier(name, at: position)]), at: position)
        case .symbol("("):
            advance()
            if isKeyword("SELECT") || isKeyword("WITH") {
                let query = try parseQuery()
                try expectSymbol(")")
                return try node(.scalarSubquery(query), at: position)
            }
            let inner = try parseExpression()
            if isSymbol(",") {
                throw SQLError(.unsupported, "row constructors like (a, b) are not supported", at: current.position)
            }
            try expectSymbol(")")
            return inner
        case .word(let word):
            return try parseWord(word, at: position)
        case .end:
            throw SQLError(.syntax, "unexpected end of input, expected an expression", at: position)
        default:
            throw SQLError(.syntax, "expected an expression, got \(token.describedForError)", at: position)
        }
    }

    private mutating func parseWord(_ word: String, at position: SourcePosition) throws(SQLError) -> Expression {
        let upper = word.uppercased()
        let followedByParen = peekToken(1).kind == .symbol("(")
        switch upper {
        case "NULL":
            advance()
            return try node(.literal(.null), at: position)
        case "TRUE", "FALSE":
            advance()
            return try node(.literal(.boolean(upper == "TRUE")), at: position)
        case "CASE":
            advance()
            return try parseCase(at: position)
        case "CAST" where followedByParen, "TRY_CAST" where followedByParen:
            if upper == "TRY_CAST" {
                throw SQLError(.unsupported, "try_cast is not supported", at: position)
            }
            advance()
            try expectSymbol("(")
            let value = try parseExpression()
            try expectKeyword("AS")
            let type = try parseType()
            try expectSymbol(")")
            return try node(.cast(value, type), at: position)
        case "INTERVAL":
            advance()
            return try node(.literal(.interval(try parseIntervalParts(at: position))), at: position)
        case "DATE", "TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP_NTZ":
            if case .string(let text) = peekToken(1).kind {
                advance()
                advance()
                return try node(.literal(upper == "DATE" ? .date(text) : .timestamp(text)), at: position)
            }
        case "EXISTS" where followedByParen:
            advance()
            try expectSymbol("(")
            let query = try parseQuery()
            try expectSymbol(")")
            return try node(.exists(query), at: position)
        case "CURRENT_DATE" where !followedByParen && peekToken(1).kind != .symbol("."),
            "CURRENT_TIMESTAMP" where !followedByParen && peekToken(1).kind != .symbol("."):
            advance()
            let call = FunctionCall(name: Identifier(word, at: position), arguments: [], distinct: false, star: false, window: nil)
            return try node(.function(call), at: position)
        default:
            break
        }
        // Some function names are also keywords (`window(...)`, `left(...)`, `if(...)`).
        if followedByParen && upper != "SELECT" && upper != "WITH" { return try parseFunctionCall() }
        if Self.reserved.contains(upper) {
            throw SQLError(.syntax, "expected an expression, got '\(word)'", at: position)
        }
        advance()
        return try node(.name([Identifier(word, at: position)]), at: position)
    }

    private mutating func parseCase(at position: SourcePosition) throws(SQLError) -> Expression {
        var operand: Expression?
        if !isKeyword("WHEN") { operand = try parseExpression() }
        var branches: [WhenBranch] = []
        while acceptKeyword("WHEN") {
            let condition = try parseExpression()
            try expectKeyword("THEN")
            branches.append(WhenBranch(condition: condition, result: try parseExpression()))
        }
        guard !branches.isEmpty else {
            throw SQLError(.syntax, "CASE needs at least one WHEN branch", at: current.position)
        }
        var otherwise: Expression?
        if acceptKeyword("ELSE") { otherwise = try parseExpression() }
        try expectKeyword("END")
        return try node(.caseWhen(operand: operand, branches: branches, otherwise: otherwise), at: position)
    }

    mutating func parseFunctionCall() throws(SQLError) -> Expression {
        let name: Identifier
        if case .word(let word) = current.kind {
            name = Identifier(word, at: current.position)
            advance()
        } else {
            name = try parseIdentifier(what: "a function name")
        }
        try expectSymbol("(")
        var call = FunctionCall(name: name, arguments: [], distinct: false, star: false, window: nil)
        if acceptSymbol("*") {
            call.star = true
        } else if !isSymbol(")") {
            if acceptKeyword("DISTINCT") { call.distinct = true } else { _ = acceptKeyword("ALL") }
            repeat { call.arguments.append(try parseExpression()) } while acceptSymbol(",")
        }
        try expectSymbol(")")
        if isKeyword("FILTER") || isKeyword("WITHIN") {
            throw SQLError(.unsupported, "\(current.keyword ?? "") on aggregates is not supported", at: current.position)
        }
        if isKeyword("IGNORE") || isKeyword("RESPECT") {
            throw SQLError(.unsupported, "\(current.keyword ?? "") NULLS is not supported", at: current.position)
        }
        if acceptKeyword("OVER") {
            if !isSymbol("(") {
                throw SQLError(.unsupported, "named windows are not supported; write OVER (...)", at: current.position)
            }
            call.window = try parseWindowSpec()
        }
        return try node(.function(call), at: name.position)
    }

    private mutating func parseWindowSpec() throws(SQLError) -> WindowSpec {
        try expectSymbol("(")
        var spec = WindowSpec(partitionBy: [], orderBy: [], frame: nil)
        if acceptKeyword("PARTITION") || acceptKeyword("DISTRIBUTE") {
            try expectKeyword("BY")
            repeat { spec.partitionBy.append(try parseExpression()) } while acceptSymbol(",")
        }
        if acceptKeyword("ORDER") || acceptKeyword("SORT") {
            try expectKeyword("BY")
            spec.orderBy = try parseOrderItems()
        }
        if let keyword = current.keyword, keyword == "ROWS" || keyword == "RANGE" {
            advance()
            let unit: WindowFrame.Unit = keyword == "ROWS" ? .rows : .range
            if acceptKeyword("BETWEEN") {
                let start = try parseFrameBound()
                try expectKeyword("AND")
                spec.frame = WindowFrame(unit: unit, start: start, end: try parseFrameBound())
            } else {
                spec.frame = WindowFrame(unit: unit, start: try parseFrameBound(), end: .currentRow)
            }
        }
        try expectSymbol(")")
        return spec
    }

    private mutating func parseFrameBound() throws(SQLError) -> WindowFrame.Bound {
        if acceptKeyword("UNBOUNDED") {
            if acceptKeyword("PRECEDING") { return .unboundedPreceding }
            try expectKeyword("FOLLOWING")
            return .unboundedFollowing
        }
        if acceptKeyword("CURRENT") {
            try expectKeyword("ROW")
            return .currentRow
        }
        guard case .number(let text) = current.kind, let amount = Int(text) else {
            throw SQLError(.syntax, "expected a window frame bound, got \(current.describedForError)", at: current.position)
        }
        advance()
        if acceptKeyword("PRECEDING") { return .preceding(amount) }
        try expectKeyword("FOLLOWING")
        return .following(amount)
    }

    /// `INTERVAL 30 DAYS`, `INTERVAL '1 day'`, `INTERVAL '30' MINUTE`, `INTERVAL 1 DAY 2 HOURS`, `INTERVAL -5 DAYS`.
    private mutating func parseIntervalParts(at position: SourcePosition) throws(SQLError) -> [IntervalPart] {
        var parts: [IntervalPart] = []
        func unitError(_ word: String, _ at: SourcePosition) -> SQLError {
            let upper = word.uppercased()
            if ["MONTH", "MONTHS", "YEAR", "YEARS", "WEEK", "WEEKS"].contains(upper) {
                return SQLError(.unsupported, "year-month and week intervals are not supported; use DAYS (\(word))", at: at)
            }
            return SQLError(.syntax, "expected an interval unit such as DAYS or HOURS, got '\(word)'", at: at)
        }
        while true {
            let amountPosition = current.position
            var sign: Int64 = 1
            if acceptSymbol("-") { sign = -1 }
            switch current.kind {
            case .number(let text):
                guard let amount = Int64(text) else {
                    throw SQLError(.unsupported, "interval amounts must be whole numbers, got \(text)", at: amountPosition)
                }
                advance()
                guard let word = current.keyword else {
                    throw SQLError(.syntax, "expected an interval unit after \(text)", at: current.position)
                }
                guard let unit = IntervalPart.Unit(spelling: word) else { throw unitError(word, current.position) }
                advance()
                parts.append(IntervalPart(amount: sign * amount, unit: unit))
            case .string(let text):
                advance()
                // '1 day' / '30 minutes' / '2 days 3 hours', or '30' followed by a unit keyword.
                let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
                if words.count == 1, let unitWord = current.keyword, let unit = IntervalPart.Unit(spelling: unitWord) {
                    guard let amount = Int64(words[0]) else {
                        throw SQLError(.syntax, "invalid interval amount '\(words[0])'", at: amountPosition)
                    }
                    advance()
                    parts.append(IntervalPart(amount: sign * amount, unit: unit))
                } else {
                    guard !words.isEmpty, words.count.isMultiple(of: 2) else {
                        throw SQLError(.syntax, "invalid interval string '\(text)'", at: amountPosition)
                    }
                    for pair in stride(from: 0, to: words.count, by: 2) {
                        guard let amount = Int64(words[pair]) else {
                            throw SQLError(.syntax, "invalid interval amount '\(words[pair])'", at: amountPosition)
                        }
                        guard let unit = IntervalPart.Unit(spelling: words[pair + 1]) else {
                            throw unitError(words[pair + 1], amountPosition)
                        }
                        parts.append(IntervalPart(amount: sign * amount, unit: unit))
                    }
                }
            default:
                if parts.isEmpty {
                    throw SQLError(.syntax, "expected an interval amount, got \(current.describedForError)", at: current.position)
                }
                return parts
            }
            if case .number = current.kind { continue }
            if case .symbol("-") = current.kind, case .number = peekToken(1).kind, peekToken(2).keyword.flatMap(IntervalPart.Unit.init(spelling:)) != nil {
                continue
            }
            return parts
        }
    }

    /// A type after CAST ... AS or `::`: a scalar name or `ARRAY<...>`, `MAP<...>`, `STRUCT<...>`.
    mutating func parseType() throws(SQLError) -> SparkType {
        // Re-assemble the type text from tokens up to the matching close, then reuse the DDL parser.
        let start = current.position
        var text = ""
        var depth = 0
        loop: while true {
            switch current.kind {
            case .word(let word):
                text += word + " "
            case .quotedIdentifier(let name):
                text += "`" + name.replacingOccurrences(of: "`", with: "``") + "` "
            case .number(let number):
                text += number
            case .parameter(let name):
                // `a:string` lexes as a name followed by the parameter marker `:string`.
                text += ":" + name + " "
            case .symbol("<"):
                depth += 1
                text += "<"
            case .symbol(">"):
                if depth == 0 { break loop }
                depth -= 1
                text += ">"
            case .symbol(":"), .symbol(","):
                if depth == 0, current.kind == .symbol(",") { break loop }
                text += current.kind == .symbol(":") ? ":" : ","
            case .symbol("("):
                // DECIMAL(10, 2) / VARCHAR(20): the arguments go to the DDL parser.
                advance()
                text += "("
                while !isSymbol(")") && current.kind != .end {
                    if case .number(let number) = current.kind { text += number } else if isSymbol(",") { text += "," }
                    advance()
                }
                try expectSymbol(")")
                text += ")"
                continue
            default:
                break loop
            }
            advance()
            if depth == 0, case .word = tokens[index - 1].kind, !(isSymbol("<") || isSymbol("(")) { break }
        }
        do {
            return try SparkType(ddl: text)
        } catch {
            throw SQLError(.syntax, "invalid type: \(error.message)", at: start)
        }
    }
}
