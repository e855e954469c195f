import Hummingbird
import VigilAlerts
import VigilCore
import VigilNotify
import VigilStore

/// `/api/2.0/vigil/metric-alarms`: threshold alarms with CloudWatch semantics (docs/metric-alarms.md). POST creates
/// or replaces one by `alarm_name` (as PutMetricAlarm); admins only.
struct MetricAlarmsController {
    let store: MetricAlarmStore

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/metric-alarms"), use: put)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/metric-alarms"), use: list)
        router.on(RouteTable.entry(.get, "/api/2.0/vigil/metric-alarms/{name}"), use: get)
        router.on(RouteTable.entry(.delete, "/api/2.0/vigil/metric-alarms/{name}"), use: delete)
    }

    @Sendable func put(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let body = try await SQLAlertsController.body(request)
        let definition = try MetricAlarmDefinition.decode(body, minimumPeriodSeconds: store.minimumPeriodSeconds)
        context.auditNote.set("alarm_name", definition.name)
        if definition.source == .vigilMetrics, let name = definition.metricName { try await store.sampler.requireKnown(name) }
        let missing = try await store.database.pool.read { db in try DestinationStore.resolve(db, definition.notify).missing }
        if let unknown = missing.first {
            throw VigilError(.invalidParameter, "notify: no notification destination has the id or name '\(unknown.prefix(64))'")
        }
        let stored = try await store.put(definition, by: try context.requirePrincipal().userName)
        return JSONResponse.make(JSONWriter.text(of: stored.json).utf8Bytes)
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["state"])
        let state = try query.string("state")
        if let state, AlarmEvaluator.State(rawValue: state) == nil {
            throw VigilError(.invalidParameter, "state must be OK, ALARM or INSUFFICIENT_DATA")
        }
        let alarms = try await store.all().filter { state == nil || $0.state.rawValue == state }
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("metric_alarms", .array(alarms.map(\.json)))])).utf8Bytes)
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let name = try Self.name(context)
        guard let stored = try await store.alarm(name: name) else { throw MetricAlarmStore.notFound(name) }
        return JSONResponse.make(JSONWriter.text(of: stored.json).utf8Bytes)
    }

    @Sendable func delete(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        try await store.delete(name: try Self.name(context))
        return JSONResponse.make(Array("{}".utf8))
    }

    static func name(_ context: VigilRequestContext) throws -> String {
        guard let name = context.parameters.get("name"), !name.isEmpty, name.utf8.count <= 255 else { throw VigilError(.invalidParameter, "the alarm name is invalid") }
        context.auditNote.set("alarm_name", name)
        return name
    }
}
