import Foundation
import VigilCore
import VigilStore

/// The SQL golden data set and cases (Tests/SQLGolden): one audit data set in the table shape and, per case, the
/// Spark SQL text and the rows Apache Spark returned for it (written by scripts/spark-golden).
public enum SQLGolden {
    /// 2026-11-20T12:00:00Z: the `current_date()`/`now()` the expected rows were computed with.
    public static let now: Int64 = 1_795_176_000_000

    public struct Case: Sendable, CustomStringConvertible {
        public var name: String
        public var sql: String
        /// Spark's column names, then rows of Statement-API strings (nil = NULL).
        public var columns: [String]
        public var rows: [[String?]]
        /// The case says `-- ordered`: rows must come in this order, not only as a multiset.
        public var ordered: Bool
        public var description: String { name }
    }

    public static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/SQLGolden")

    public static func caseNames() -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("cases").path)) ?? []
        return files.filter { $0.hasSuffix(".sql") }.map { String($0.dropLast(4)) }.sorted()
    }

    public static func load(_ name: String) throws -> Case {
        let cases = folder.appendingPathComponent("cases")
        let sql = try String(contentsOf: cases.appendingPathComponent(name + ".sql"), encoding: .utf8)
        let expected = try String(contentsOf: cases.appendingPathComponent(name + ".expected"), encoding: .utf8)
        var lines = try expected.split(separator: "\n").map { line throws(JSONParseError) in try JSONParser.parse(String(line)) }
        guard !lines.isEmpty, case .array(let header) = lines.removeFirst() else {
            throw VigilError(.invalidParameter, "\(name).expected has no header line")
        }
        let columns = header.compactMap { if case .string(let name) = $0 { name } else { nil } }
        let rows: [[String?]] = lines.map { line in
            guard case .array(let cells) = line else { return [] }
            return cells.map { if case .string(let text) = $0 { text } else { nil } }
        }
        return Case(name: name, sql: sql, columns: columns, rows: rows, ordered: sql.hasPrefix("-- ordered"))
    }

    /// The data set's events, decoded as ingest decodes them.
    public static func events() throws -> [AuditEvent] {
        let bytes = Array(try Data(contentsOf: folder.appendingPathComponent("events.ndjson")))
        var problems: [ValidationProblem] = []
        let items = IngestBody.split(bytes, format: .ndjson, problems: &problems)
        let decoder = EventDecoder()
        var events: [AuditEvent] = []
        for (index, item) in items.enumerated() {
            guard let value = item.value, let event = decoder.decode(value, index: index, nowMillis: now + 86_400_000, problems: &problems) else { continue }
            events.append(event)
        }
        guard problems.isEmpty else {
            throw VigilError(.validationFailed, "events.ndjson does not decode: \(problems.map(\.detail))")
        }
        return events
    }
}
