import ArgumentParser
import Foundation
import VigilCore

/// `vigil sql`: runs Spark SQL through the Statement Execution API and prints the rows.
struct SQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run a Spark SQL query over the audit log, the node timeline or app logs.",
        discussion: """
            Tables: system.access.audit, system.compute.node_timeline, system.vigil.app_logs (the apps you can use) and
            system.information_schema. The query comes from the argument, from --file, or from standard input. Examples:
              vigil sql "SELECT action_name, count(*) FROM system.access.audit GROUP BY 1 ORDER BY 2 DESC"
              vigil sql "SELECT timestamp, message FROM system.vigil.app_logs WHERE app_name = 'orders' AND level = 'ERROR'"
              vigil sql -f permission-changes.sql --output csv > changes.csv
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The query text; omit it to use --file or standard input.")
    var query: String?

    @Option(name: [.customShort("f"), .customLong("file")], help: "Read the query from this file.")
    var file: String?

    @Option(name: .customLong("output"), help: "table, csv or json (an array of objects).")
    var output: Format = .table

    @Option(name: .customLong("row-limit"), help: "Return at most this many rows.")
    var rowLimit: Int?

    func validate() throws {
        if query != nil && file != nil { throw ValidationError("give the query as an argument or with --file, not both") }
        if let rowLimit, rowLimit < 1 { throw ValidationError("--row-limit must be positive") }
    }

    func run() async throws {
        let text = try readQuery()
        let client = try VigilClient(connection)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("statement"); writer.string(text); writer.comma()
        writer.key("warehouse_id"); writer.string("vigil"); writer.comma()
        if let rowLimit { writer.key("row_limit"); writer.integer(rowLimit); writer.comma() }
        writer.key("wait_timeout"); writer.string("50s")
        writer.endObject()
        var response = try await client.call(.POST, "/api/2.0/sql/statements", body: writer.bytes)
        while case .string(let state)? = response["status"]?["state"], state == "PENDING" || state == "RUNNING" {
            guard case .string(let id)? = response["statement_id"] else { break }
            try await Task.sleep(for: .milliseconds(500))
            response = try await client.call(.GET, "/api/2.0/sql/statements/\(id)")
        }
        guard case .string(let state)? = response["status"]?["state"], state == "SUCCEEDED" else {
            throw CLIFailure(Self.describeFailure(response, query: text))
        }
        var names: [String] = []
        if case .array(let columns)? = response["manifest"]?["schema"]?["columns"] {
            names = columns.compactMap { if case .string(let name)? = $0["name"] { name } else { nil } }
        }
        var rows: [[String?]] = []
        if case .array(let data)? = response["result"]?["data_array"] {
            rows = data.map { row in
                guard case .array(let cells) = row else { return [] }
                return cells.map { if case .string(let text) = $0 { text } else { nil } }
            }
        }
        print(Self.render(names: names, rows: rows, format: output), terminator: "")
        if case .bool(true)? = response["manifest"]?["truncated"] {
            FileHandle.standardError.write(Data("vigil: the result was truncated at \(rows.count) rows\n".utf8))
        }
    }

    private func readQuery() throws -> String {
        if let query { return query }
        if let file {
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw CLIFailure("cannot read \(file)")
            }
            return text
        }
        let data = FileHandle.standardInput.readDataToEndOfFile()
        guard let text = String(data: data, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("give a query as an argument, with --file, or on standard input")
        }
        return text
    }

    static func render(names: [String], rows: [[String?]], format: Format) -> String {
        switch format {
        case .table:
            var table = TableRenderer(headers: names.map(TerminalText.escape))
            for row in rows { table.add(row.map { $0 ?? "NULL" }) }
            return table.render() + "\n"
        case .csv:
            var text = names.map(csvCell).joined(separator: ",") + "\r\n"
            for row in rows { text += row.map { $0.map(csvCell) ?? "" }.joined(separator: ",") + "\r\n" }
            return text
        case .json:
            var objects: [JSONValue] = []
            for row in rows {
                objects.append(.object(zip(names, row).map { JSONMember($0, $1.map { .string($0) } ?? .null) }))
            }
            return JSONWriter.text(of: .array(objects)) + "\n"
        }
    }

    /// RFC 4180 quoting, and a leading apostrophe on cells a spreadsheet would run as a formula
    /// (`=`, `+`, `-`, `@`, tab, carriage return: OWASP CSV injection).
    static func csvCell(_ value: String) -> String {
        var cell = value
        if let first = cell.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { cell = "'" + cell }
        if cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            cell = "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return cell
    }

    /// The server's message, then the offending query line with a caret under the reported position.
    static func describeFailure(_ response: JSONValue, query: String) -> String {
        let message: String = if case .string(let text)? = response["status"]?["error"]?["message"] { text } else { "the statement failed" }
        var text = TerminalText.escape(message)
        if let range = message.range(of: #"\(line (\d+), pos (\d+)\)"#, options: .regularExpression) {
            let numbers = message[range].split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            let lines = query.split(separator: "\n", omittingEmptySubsequences: false)
            if numbers.count == 2, numbers[0] >= 1, numbers[0] <= lines.count {
                let line = TerminalText.escape(String(lines[numbers[0] - 1]))
                text += "\n  \(line)\n  " + String(repeating: " ", count: max(0, numbers[1])) + "^"
            }
        }
        return text
    }
}
