import Hummingbird
import VigilCore
import VigilSQL
import VigilStore

/// Writes StatementResponse and ResultData JSON. Every value in `data_array` is a string or null (Spark's
/// text of the value); types in the manifest use Spark names.
enum StatementJSON {
    static func response(_ execution: StatementExecution, settings: ResultSettings) -> Response {
        let (state, outcome) = execution.snapshot
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("statement_id"); writer.string(execution.id); writer.comma()
            writer.key("status")
            writer.beginObject()
            writer.key("state"); writer.string(state.rawValue)
            if case .failure(let error)? = outcome {
                writer.comma()
                writer.key("error")
                writer.beginObject()
                writer.key("error_code"); writer.string(errorCode(error)); writer.comma()
                writer.key("message"); writer.string(message(error))
                writer.endObject()
                if let sqlState = error.code.sqlState {
                    writer.comma()
                    writer.key("sql_state"); writer.string(sqlState)
                }
            }
            writer.endObject()
            if case .success(let result)? = outcome {
                writer.comma()
                writeManifest(result, settings: settings, into: &writer)
                writer.comma()
                writer.key("result")
                writeResult(result, settings: settings, into: &writer)
            }
            writer.endObject()
        }
    }

    /// The Databricks `error_code` of a failed statement: the user's own errors (syntax, analysis and ANSI
    /// runtime errors) are BAD_REQUEST; only an engine failure Vigil cannot name is INTERNAL_ERROR.
    static func errorCode(_ error: SQLError) -> String {
        switch error.code {
        case .timeout: "DEADLINE_EXCEEDED"
        case .canceled: "CANCELLED"
        case .internalError, .runtime: "INTERNAL_ERROR"
        case .resourceExhausted: "RESOURCE_EXHAUSTED"
        default: "BAD_REQUEST"
        }
    }

    /// `[CODE] message (line 1, column 8)`, the way Spark prints analysis errors.
    static func message(_ error: SQLError) -> String {
        var text = "[\(error.code.rawValue)] \(error.message)"
        if let position = error.position { text += " (line \(position.line), pos \(position.column - 1))" }
        return text
    }

    /// Rendered rows, stopping early at `byteLimit`.
    static func rows(_ result: SQLResult, settings: ResultSettings) -> (rows: [[String?]], truncated: Bool) {
        var rows: [[String?]] = []
        var bytes = 0
        for row in result.rows {
            let rendered = zip(row, result.columns).map { value, column in SparkStrings.render(value, as: column.type) }
            bytes += rendered.reduce(0) { $0 + ($1?.utf8.count ?? 4) + 3 }
            if let limit = settings.byteLimit, bytes > limit { return (rows, true) }
            rows.append(rendered)
        }
        return (rows, result.truncated)
    }

    static func writeManifest(_ result: SQLResult, settings: ResultSettings, into writer: inout JSONWriter) {
        let (rows, truncated) = Self.rows(result, settings: settings)
        writer.key("manifest")
        writer.beginObject()
        writer.key("format"); writer.string("JSON_ARRAY"); writer.comma()
        writer.key("schema")
        writer.beginObject()
        writer.key("column_count"); writer.integer(result.columns.count); writer.comma()
        writer.key("columns")
        writer.beginArray()
        for (position, column) in result.columns.enumerated() {
            if position > 0 { writer.comma() }
            writer.beginObject()
            writer.key("name"); writer.string(column.name); writer.comma()
            writer.key("position"); writer.integer(position); writer.comma()
            writer.key("type_name"); writer.string(column.type.typeName); writer.comma()
            writer.key("type_text"); writer.string(column.type.description)
            if case .decimal(let precision, let scale) = column.type {
                writer.comma()
                writer.key("type_precision"); writer.integer(precision); writer.comma()
                writer.key("type_scale"); writer.integer(scale)
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject(); writer.comma()
        writer.key("total_chunk_count"); writer.integer(1); writer.comma()
        writer.key("chunks")
        writer.beginArray()
        writer.beginObject()
        writer.key("chunk_index"); writer.integer(0); writer.comma()
        writer.key("row_offset"); writer.integer(0); writer.comma()
        writer.key("row_count"); writer.integer(rows.count)
        writer.endObject()
        writer.endArray(); writer.comma()
        writer.key("total_row_count"); writer.integer(rows.count); writer.comma()
        writer.key("truncated"); writer.bool(truncated)
        writer.endObject()
    }

    static func writeResult(_ result: SQLResult, settings: ResultSettings, into writer: inout JSONWriter) {
        let (rows, _) = Self.rows(result, settings: settings)
        writer.beginObject()
        writer.key("chunk_index"); writer.integer(0); writer.comma()
        writer.key("row_offset"); writer.integer(0); writer.comma()
        writer.key("row_count"); writer.integer(rows.count); writer.comma()
        writer.key("data_array")
        writer.beginArray()
        for (index, row) in rows.enumerated() {
            if index > 0 { writer.comma() }
            writer.beginArray()
            for (position, value) in row.enumerated() {
                if position > 0 { writer.comma() }
                if let value { writer.string(value) } else { writer.null() }
            }
            writer.endArray()
        }
        writer.endArray()
        writer.endObject()
    }
}
