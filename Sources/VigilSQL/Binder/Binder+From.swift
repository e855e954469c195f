extension Binder {
    /// Binds a FROM item, adding its relations to `scope`.
    func bindFrom(_ item: FromItem, scope: Scope) throws(SQLError) -> BoundFrom {
        switch item {
        case .table(let name, let alias):
            if name.count == 1, let cte = ctes.last(where: { $0.name == name[0].lowered }) {
                let internalName = context.nextAlias("t")
                scope.relations.append(
                    Scope.Relation(
                        qualifiers: [[(alias ?? name[0]).lowered]],
                        columns: derivedColumns(cte.query.columns, alias: internalName)))
                return .cte(name: cte.internalName, alias: internalName)
            }
            guard let table = context.catalog.table(named: name.map(\.name)) else {
                let known = context.catalog.tables.map(\.qualifiedName).joined(separator: ", ")
                throw SQLError(
                    .tableNotFound,
                    "table or view \(name.map(\.name).joined(separator: ".")) not found; tables: \(known)",
                    at: name[0].position)
            }
            let internalName = context.nextAlias("t")
            let qualifiers: [[String]] =
                if let alias { [[alias.lowered]] } else { (1...table.name.count).map { Array(table.name.suffix($0)) } }
            scope.relations.append(
                Scope.Relation(qualifiers: qualifiers, columns: table.columns.map { Self.column($0, alias: internalName) }))
            if table.isComputed {
                let rows = try context.rows(of: table, at: name[0].position)
                return .rows(rows, columns: table.columns.map(\.name), alias: internalName)
            }
            // A workspace-scoped caller reads only its workspaces' rows, whatever the query says: the filter sits
            // under every reference to the table, so no join, subquery or OR can get around it.
            var filter: BoundExpression?
            if let scope = context.workspaceScope, let column = table.scopeColumn {
                filter = .operation(
                    .inList(negated: false),
                    [.column(relation: internalName, column: column, .string)] + scope.map { BoundExpression.string($0) }, .boolean)
            }
            // Likewise an app-limited caller reads only the lines of the apps it may use.
            if let apps = context.appScope, let column = table.appScopeColumn {
                filter = apps.isEmpty
                    ? .literal(.integer(0), .boolean)
                    : .operation(
                        .inList(negated: false),
                        [.column(relation: internalName, column: column, .bigint)] + apps.map { BoundExpression.integer($0, .bigint) }, .boolean)
            }
            return .table(storage: table.storage, alias: internalName, filter: filter)
        case .subquery(let query, let alias, _):
            let bound = try bind(query, outer: scope.parent)
            let internalName = context.nextAlias("t")
            scope.relations.append(
                Scope.Relation(
                    qualifiers: alias.map { [[$0.lowered]] } ?? [],
                    columns: derivedColumns(bound.columns, alias: internalName)))
            return .derived(bound, alias: internalName)
        case .join(let kind, let left, let right, let condition):
            let boundLeft = try bindFrom(left, scope: scope)
            let boundRight = try bindFrom(right, scope: scope)
            var boundCondition: BoundExpression?
            if let condition {
                boundCondition = try Lowering.coerce(
                    try bindExpression(condition, scope: scope, allowAggregates: false), to: .boolean, at: condition.position)
            }
            return .join(kind, boundLeft, boundRight, on: boundCondition)
        }
    }

    func derivedColumns(_ columns: [OutputColumn], alias: String) -> [Scope.Column] {
        columns.enumerated().map { index, column in
            Scope.Column(name: column.name, expression: .column(relation: alias, column: "c\(index)", column.type))
        }
    }

    static func column(_ column: CatalogColumn, alias: String) -> Scope.Column {
        switch column.source {
        case .column(let storage), .dateOfTimestamp(let storage, _):
            return Scope.Column(name: column.name, expression: .column(relation: alias, column: storage, column.type))
        case .flattenedStruct(let bit, let fieldColumns):
            guard case .struct(let fields) = column.type else {
                return Scope.Column(name: column.name, expression: .null(column.type))
            }
            let arguments = zip(fields, fieldColumns).map { field, storage in
                BoundExpression.column(relation: alias, column: storage, field.type)
            }
            let presence = BoundExpression.column(relation: alias, column: "present_structs", .int)
            return Scope.Column(
                name: column.name,
                expression: .operation(
                    .makeStruct(names: fields.map(\.name), presenceBit: bit), arguments + [presence], column.type))
        }
    }

    /// `LATERAL VIEW [OUTER] explode(e) t AS c`: joins a generator after the FROM clause.
    func bindLateralView(_ view: LateralView, from: BoundFrom, scope: Scope) throws(SQLError) -> BoundFrom {
        guard case .function(let call) = view.generator.kind else { return from }
        let generator = try bindGenerator(call, at: view.generator.position, scope: scope)
        let alias = context.nextAlias("g")
        let names = try generator.columnNames(aliases: view.columnAliases, at: view.generator.position)
        scope.relations.append(
            Scope.Relation(
                qualifiers: view.tableAlias.map { [[$0.lowered]] } ?? [],
                columns: generator.columns(alias: alias, names: names)))
        return .join(view.outer || generator.outer ? .left : .cross, from, .generator(generator.input, alias: alias), on: nil)
    }
}

/// A bound generator call: `explode`, `explode_outer`, `posexplode`, `posexplode_outer`.
struct Generator {
    var input: BoundExpression
    var outer: Bool
    var withPosition: Bool

    var defaultNames: [String] {
        switch input.type {
        // posexplode of a map is refused by the binder (json_each has no entry ordinal).
        case .map: ["key", "value"]
        default: withPosition ? ["pos", "col"] : ["col"]
        }
    }

    func columnNames(aliases: [Identifier], at position: SourcePosition) throws(SQLError) -> [String] {
        if aliases.isEmpty { return defaultNames }
        guard aliases.count == defaultNames.count else {
            throw SQLError(
                .syntax, "the generator returns \(defaultNames.count) columns (\(defaultNames.joined(separator: ", "))), got \(aliases.count) aliases",
                at: position)
        }
        return aliases.map(\.name)
    }

    /// The generator's output columns over json_each-style `key`/`value` columns of relation `alias`.
    func columns(alias: String, names: [String]) -> [Scope.Column] {
        var columns: [Scope.Column] = []
        var index = 0
        switch input.type {
        case .map(let keyType, let valueType):
            columns.append(.init(name: names[index], expression: .column(relation: alias, column: "key", keyType)))
            columns.append(.init(name: names[index + 1], expression: .column(relation: alias, column: "value", valueType)))
        case .array(let element):
            if withPosition {
                columns.append(.init(name: names[index], expression: .column(relation: alias, column: "key", .int)))
                index += 1
            }
            columns.append(.init(name: names[index], expression: .column(relation: alias, column: "value", element)))
        default:
            break
        }
        return columns
    }
}
