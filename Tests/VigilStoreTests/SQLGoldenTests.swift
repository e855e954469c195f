import Foundation
import Testing
import VigilSQL
import VigilStore
import VigilTesting

/// Spark SQL in, rows out: every case in Tests/SQLGolden/cases must return exactly what Apache Spark returned on
/// the same data (scripts/spark-golden wrote the expected rows): same column names, same values, same order when
/// the case orders its rows.
@Suite("Spark SQL golden cases")
struct SQLGoldenTests {
    @Test("Vigil returns what Spark returns", arguments: SQLGolden.caseNames())
    func matchesSpark(_ name: String) async throws {
        let golden = try SQLGolden.load(name)
        try await withGoldenDatabase { runner, informationSchema in
            let result = try await runner.run(golden.sql, now: SQLGolden.now, computedTables: informationSchema)
            let rows = result.rows.map { row in zip(row, result.columns).map { SparkStrings.render($0, as: $1.type) } }
            #expect(result.columns.map(\.name) == golden.columns)
            if golden.ordered {
                #expect(rows == golden.rows)
            } else {
                #expect(Self.sorted(rows) == Self.sorted(golden.rows))
            }
        }
    }

    @Test(
        "information_schema holds the catalog's tables and the privileges the fixture's grants amount to",
        arguments: CatalogTable.informationSchema.map(\.name))
    func informationSchemaRows(_ name: [String]) async throws {
        let table = try #require(Catalog.system.table(named: name))
        try await withGoldenDatabase { runner, informationSchema in
            let result = try await runner.run("SELECT * FROM \(table.qualifiedName)", now: SQLGolden.now, computedTables: informationSchema)
            #expect(result.columns.map(\.name) == table.columns.map(\.name))
            let rows = result.rows.map { row in zip(row, result.columns).map { SparkStrings.render($0, as: $1.type) } }
            #expect(Self.sorted(rows) == Self.sorted(try SQLGolden.informationSchemaRows(table)))
        }
    }

    static func sorted(_ rows: [[String?]]) -> [String] {
        rows.map { $0.map { $0 ?? "\u{0}NULL" }.joined(separator: "\u{1}") }.sorted()
    }
}

/// A temp database holding the golden data set (audit events, node timeline, the access fixture), a SQL runner
/// over it, and the admin's view of the information schema.
func withGoldenDatabase<T: Sendable>(
    _ body: (SQLStatementRunner, any ComputedTableSource) async throws -> T
) async throws -> T {
    let folder = try TemporaryDirectory()
    defer { folder.remove() }
    let (database, informationSchema) = try await SQLGolden.database(in: folder)
    return try await body(SQLStatementRunner(database: database), informationSchema)
}
