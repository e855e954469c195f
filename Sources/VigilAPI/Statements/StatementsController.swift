import Foundation
import Hummingbird
import Logging
import VigilAccess
import VigilCore
import VigilSQL
import VigilStore

/// The Statement Execution API in the shapes `databricks-sdk` expects (reference databricks.md §4.6): results
/// inline as JSON_ARRAY with every value a string or null; a statement that fails is HTTP 200 with
/// `status.state = FAILED`. Each submission is audited as `databrickssql`/`commandSubmit` with its text.
struct StatementsController {
    let runner: SQLStatementRunner
    let registry: StatementRegistry
    let clock: any WallClock
    let logger: Logger
    let metrics: VigilMetrics
    let apps: AppStore

    static let maxStatementBytes = 16 << 20

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/sql/statements"), use: execute)
        router.on(RouteTable.entry(.get, "/api/2.0/sql/statements/{statement_id}"), use: get)
        router.on(RouteTable.entry(.get, "/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}"), use: chunk)
        router.on(RouteTable.entry(.post, "/api/2.0/sql/statements/{statement_id}/cancel"), use: cancel)
    }

    @Sendable func execute(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let access = try context.requireAccess()
        let scope = access.auditScope?.workspaceIDs
        // App log lines: admins read every app's, others only those of apps they may use.
        let appScope: [Int64]? = access.isAdmin ? nil : try await apps.keys().filter { access.canUse(app: $0.key) }.map(\.value).sorted()
        let body = try await RequestBody.read(
            request,
            allowed: [
                "statement", "warehouse_id", "wait_timeout", "on_wait_timeout", "disposition", "format", "catalog", "schema",
                "parameters", "row_limit", "byte_limit", "query_tags",
            ],
            limit: Self.maxStatementBytes + (64 << 10))
        guard let statement = try body.string("statement"), !statement.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw VigilError(.invalidParameter, "statement is required")
        }
        guard statement.utf8.count <= Self.maxStatementBytes else {
            throw VigilError(.invalidParameter, "statement must be at most 16 MiB")
        }
        let warehouseID = try body.string("warehouse_id")
        let waitTimeout = try Self.waitTimeout(try body.string("wait_timeout"))
        let onTimeout = try body.string("on_wait_timeout") ?? "CONTINUE"
        guard onTimeout == "CONTINUE" || onTimeout == "CANCEL" else {
            throw VigilError(.invalidParameter, "on_wait_timeout must be CONTINUE or CANCEL, got '\(onTimeout.prefix(32))'")
        }
        if let disposition = try body.string("disposition"), disposition != "INLINE" {
            throw VigilError(.invalidParameter, "disposition \(disposition.prefix(32)) is not supported; Vigil returns results INLINE")
        }
        if let format = try body.string("format"), format != "JSON_ARRAY" {
            throw VigilError(.invalidParameter, "format \(format.prefix(32)) is not supported; Vigil returns JSON_ARRAY")
        }
        let rowLimit = try body.integer("row_limit")
        if let rowLimit, rowLimit < 1 { throw VigilError(.invalidParameter, "row_limit must be a positive integer") }
        let byteLimit = try body.integer("byte_limit")
        if let byteLimit, byteLimit < 1 { throw VigilError(.invalidParameter, "byte_limit must be a positive integer") }
        let parameters = try Self.parameters(body)

        let id = UUID().uuidString.lowercased()
        context.auditNote.set("commandId", id)
        context.auditNote.set("warehouseId", warehouseID.map { String($0.prefix(128)) })
        context.auditNote.set("commandText", String(statement.prefix(64 << 10)))

        let execution = StatementExecution(id: id, ownerID: principal.id)
        let settings = ResultSettings(byteLimit: byteLimit.map(Int.init))
        let registry = registry
        let clock = clock
        registry.add(execution, now: clock.nowMillis())
        let request = SQLStatementRunner.Statement(
            statement, now: clock.nowMillis(), parameters: parameters, workspaceScope: scope, appScope: appScope,
            computedTables: InformationSchema(database: runner.database, catalog: runner.compiler.catalog, access: access),
            rowLimit: rowLimit.map(Int.init), byteLimit: byteLimit.map(Int.init))
        do throws(SQLExecutor.Refusal) {
            try runner.submit(
                request, owner: principal.id, cancellation: execution.cancellation, started: { execution.markRunning() }
            ) { [logger, metrics] outcome in
                if case .failure(let error) = outcome, let detail = error.detail {
                    // The engine's own words stay here: they can name internal tables and functions.
                    logger.log(level: error.code == .internalError ? .error : .info, "SQL statement failed in the engine", metadata: [
                        "statement_id": "\(id)", "code": "\(error.code.rawValue)", "detail": "\(detail)",
                    ])
                }
                execution.finish(outcome, at: clock.nowMillis())
                registry.finished(execution, now: clock.nowMillis())
                let state: String =
                    switch outcome {
                    case .success: "SUCCEEDED"
                    case .failure(let error): error.code == .canceled ? "CANCELED" : "FAILED"
                    }
                metrics.sqlStatementCounter(state).increment()
            }
        } catch {
            // Not admitted: nothing runs and nothing is kept; the caller retries (the SDK does on 429).
            registry.remove(execution)
            context.auditNote.set("refusal", error.description)
            let reason: String =
                switch error {
                case .principalBusy: "principal_busy"
                case .queueFull: "queue_full"
                case .shuttingDown: "shutting_down"
                }
            metrics.sqlRefusedCounter(reason).increment()
            throw VigilError(.overloaded, error.description, retryAfterSeconds: 1)
        }
        await execution.wait(upTo: waitTimeout)
        if execution.snapshot.outcome == nil, onTimeout == "CANCEL" {
            execution.cancellation.cancel()
            await execution.wait(upTo: .seconds(5))
        }
        return StatementJSON.response(execution, settings: settings)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let execution = try find(context)
        return StatementJSON.response(execution, settings: ResultSettings(byteLimit: nil))
    }

    @Sendable func chunk(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let execution = try find(context)
        guard context.parameters.get("chunk_index") == "0" else {
            throw VigilError(.notFound, "statement results have one chunk, chunk_index 0")
        }
        let (state, outcome) = execution.snapshot
        guard case .success(let result)? = outcome else {
            if state == .closed {
                throw VigilError(.notFound, "the result of statement \(execution.id) is no longer kept (CLOSED); run the statement again")
            }
            throw VigilError(.notFound, "statement \(execution.id) has no result")
        }
        return JSONResponse.write { writer in StatementJSON.writeResult(result, settings: ResultSettings(byteLimit: nil), into: &writer) }
    }

    @Sendable func cancel(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let execution = try find(context)
        execution.cancellation.cancel()
        return JSONResponse.empty
    }

    private func find(_ context: VigilRequestContext) throws -> StatementExecution {
        let principal = try context.requirePrincipal()
        let id = context.parameters.get("statement_id") ?? ""
        context.auditNote.set("commandId", String(id.prefix(64)))
        // Another principal's statement is reported as missing, so statement ids reveal nothing.
        guard let execution = registry.find(id, now: clock.nowMillis()), execution.ownerID == principal.id else {
            throw VigilError(.notFound, "no statement with statement_id '\(id.prefix(64))'")
        }
        return execution
    }

    /// "0s" (return at once) or 5 to 50 seconds, as Databricks allows; default 10 s.
    static func waitTimeout(_ text: String?) throws -> Duration {
        guard let text else { return .seconds(10) }
        guard text.hasSuffix("s"), let seconds = Int(text.dropLast()), seconds == 0 || (5...50).contains(seconds) else {
            throw VigilError(.invalidParameter, "wait_timeout must be \"0s\" or between \"5s\" and \"50s\", got '\(text.prefix(32))'")
        }
        return .seconds(seconds)
    }

    /// `parameters: [{name, value, type}]` for `:name` markers; the type decides how the value is bound.
    static func parameters(_ body: RequestBody) throws -> [String: SQLValue] {
        guard let value = body.members.first(where: { $0.key == "parameters" })?.value, value != .null else { return [:] }
        guard case .array(let items) = value else { throw VigilError(.invalidParameter, "parameters must be an array") }
        var parameters: [String: SQLValue] = [:]
        for (index, item) in items.enumerated() {
            guard case .string(let name)? = item["name"], !name.isEmpty else {
                throw VigilError(.invalidParameter, "parameters[\(index)].name is required")
            }
            let type = (item["type"].flatMap { if case .string(let t) = $0 { t } else { nil } } ?? "STRING").uppercased()
            switch item["value"] {
            case nil, .null?: parameters[name] = .null
            case .string(let text)?:
                switch type {
                case "INT", "INTEGER", "BIGINT", "LONG", "SMALLINT", "TINYINT":
                    guard let number = Int64(text) else { throw VigilError(.invalidParameter, "parameters[\(index)].value is not an integer") }
                    parameters[name] = .integer(number)
                case "DOUBLE", "FLOAT", "DECIMAL":
                    guard let number = Double(text) else { throw VigilError(.invalidParameter, "parameters[\(index)].value is not a number") }
                    parameters[name] = .real(number)
                default:
                    parameters[name] = .text(text)
                }
            case let other?:
                throw VigilError(.invalidParameter, "parameters[\(index)].value must be a string, got \(other.typeName)")
            }
        }
        return parameters
    }
}

struct ResultSettings {
    var byteLimit: Int?
}
