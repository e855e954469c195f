import Hummingbird
import VigilAccess
import VigilCore
import VigilMonitoring
import VigilStore

/// `POST /api/2.0/vigil/compute/heartbeat`: one report from `vigil agent` per interval: that its node is alive (or
/// leaving), and its `system.compute.node_timeline` rows (the interval's sample, and any it spooled while the server
/// was away), stored in one transaction with the cluster's state and the events the report caused.
///
/// Allowed to producers (CAN_USE on audit-logs/all, what agents run with) and to the cluster's managers. A report
/// naming a cluster that does not exist registers it (source `AGENT`, recorded as `clusters`/`create`) when the
/// caller may create clusters.
struct HeartbeatController {
    let clusters: ClusterStore
    let decoder: NodeTimelineDecoder
    let metrics: VigilMetrics
    let clock: any WallClock

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/compute/heartbeat"), use: heartbeat)
    }

    static let fields: Set<String> = [
        "cluster_id", "instance_id", "driver", "interval_seconds", "node_type", "host", "leaving", "cluster_name", "num_workers", "node_timeline",
    ]
    static let maxRows = 10_000

    @Sendable func heartbeat(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let bytes = try await RequestBody.collect(request, limit: decoder.limits.maxRequestBytes, hint: "; send fewer spooled rows per report")
        let body: JSONValue
        do {
            body = try JSONParser.parse(bytes, rejectsDuplicateKeys: true)
        } catch {
            throw VigilError(.invalidParameter, "the request body is not valid JSON: \(error)")
        }
        let report = try Self.parse(body)
        context.auditNote.set("cluster_id", report.heartbeat.clusterID)
        context.auditNote.set("instance_id", report.heartbeat.instanceID)
        if report.heartbeat.leaving { context.auditNote.set("leaving", "true") }
        let now = clock.nowMillis()
        var problems: [ValidationProblem] = []
        var rows: [NodeTimelineRow] = []
        for (index, value) in report.rows.enumerated() {
            guard let row = decoder.decode(value, index: index, nowMillis: now, problems: &problems) else { continue }
            if row.clusterID != report.heartbeat.clusterID || row.instanceID != report.heartbeat.instanceID {
                problems.append(.init(index: index, field: "cluster_id", reason: .foreignNode,
                                      detail: "a row must be of the reporting node (cluster_id and instance_id of the heartbeat)"))
                continue
            }
            rows.append(row)
        }
        context.auditNote.set("row_count", String(report.rows.count))
        guard problems.isEmpty else {
            metrics.countRejections(problems, counter: metrics.nodeRowRejectedCounter)
            throw VigilError(.validationFailed, "node_timeline: " + EventIngestor.message(for: problems, item: "row"), problems: problems)
        }
        let access = try context.requireAccess()
        let principal = try context.requirePrincipal()
        let id = report.heartbeat.clusterID
        let existing = try await clusters.get(id)
        if existing != nil {
            guard access.canIngest || access.has(.manage, onCluster: id) else {
                throw VigilError(.permissionDenied, "\(principal.userName) may not report nodes of clusters/\(id.prefix(64)); it needs CAN_USE on audit-logs/all or CAN_MANAGE on the cluster")
            }
        } else if !access.allows(.createClusters) {
            throw VigilError(.permissionDenied, "cluster \(id.prefix(64)) does not exist and \(principal.userName) may not register it; it needs CAN_USE on audit-logs/all")
        }
        var spec = ClusterSpec(clusterName: report.clusterName ?? id, numWorkers: report.numWorkers ?? 0)
        spec.nodeTypeID = report.heartbeat.nodeType
        let result = try await clusters.heartbeat(report.heartbeat, rows: rows, register: existing == nil ? (spec, principal) : nil)
        metrics.nodeRowsAccepted.increment(by: Int64(result.rows.accepted))
        metrics.nodeRowsDuplicate.increment(by: Int64(result.rows.duplicates))
        metrics.heartbeats.increment()
        if result.created {
            // This request made the cluster: its record is the cluster's creation.
            context.auditNote.action = ("clusters", "create")
            context.auditNote.set("cluster_name", spec.clusterName)
            context.auditNote.set("num_workers", String(spec.targetWorkers))
        }
        let record = result.record
        return JSONResponse.make(JSONWriter.text(of: .object([
            JSONMember("cluster_id", .string(record.clusterID)),
            JSONMember("state", .string(record.state.rawValue)),
            JSONMember("state_message", .string(record.machine.stateMessage)),
            JSONMember("registered", .bool(result.created)),
            JSONMember("accepted", .number(String(result.rows.accepted))),
            JSONMember("duplicates", .number(String(result.rows.duplicates))),
        ])).utf8Bytes)
    }

    struct Report {
        var heartbeat: Heartbeat
        var clusterName: String?
        var numWorkers: Int?
        var rows: [JSONValue]
    }

    /// Reads a report; every problem names its field.
    static func parse(_ body: JSONValue) throws -> Report {
        guard case .object(let members) = body else { throw VigilError(.invalidParameter, "the request body must be a JSON object, got \(body.typeName)") }
        if let unknown = members.first(where: { !fields.contains($0.key) }) {
            throw VigilError(.invalidParameter, "unknown field '\(unknown.key.prefix(64))'; fields: \(fields.sorted().joined(separator: ", "))")
        }
        func text(_ key: String, max: Int, required: Bool = false) throws -> String? {
            switch body[key] {
            case nil, .null?:
                if required { throw VigilError(.invalidParameter, "\(key) is required") }
                return nil
            case .string(let value)? where !value.isEmpty && value.count <= max
                && !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }):
                return value
            default: throw VigilError(.invalidParameter, "\(key) must be a string of 1 to \(max) characters without control characters")
            }
        }
        func flag(_ key: String) throws -> Bool {
            switch body[key] {
            case nil, .null?: return false
            case .bool(let value)?: return value
            default: throw VigilError(.invalidParameter, "\(key) must be true or false")
            }
        }
        let clusterID = try text("cluster_id", max: 64, required: true)!
        if let problem = ClusterID.problem(clusterID) { throw VigilError(.invalidParameter, "cluster_id is invalid: \(problem)") }
        let instanceID = try text("instance_id", max: 128, required: true)!
        guard case .number(let intervalText)? = body["interval_seconds"], let interval = Double(intervalText), interval >= 1, interval <= 3600 else {
            throw VigilError(.invalidParameter, "interval_seconds is required: the agent's reporting interval, 1 to 3600 seconds")
        }
        var numWorkers: Int?
        if let value = body["num_workers"], value != .null {
            guard case .number(let text) = value, let count = Int(text), (0...ClusterSpec.maxWorkers).contains(count) else {
                throw VigilError(.invalidParameter, "num_workers must be an integer between 0 and \(ClusterSpec.maxWorkers)")
            }
            numWorkers = count
        }
        var rows: [JSONValue] = []
        if let value = body["node_timeline"], value != .null {
            guard case .array(let items) = value else { throw VigilError(.invalidParameter, "node_timeline must be an array of node_timeline rows") }
            guard items.count <= maxRows else {
                throw VigilError(.invalidParameter, "node_timeline has \(items.count) rows, at most \(maxRows) per report; send the rest in the next")
            }
            rows = items
        }
        let heartbeat = Heartbeat(
            clusterID: clusterID, instanceID: instanceID, driver: try flag("driver"), intervalMillis: Int64(interval * 1000),
            nodeType: try text("node_type", max: 128), host: try text("host", max: 255), leaving: try flag("leaving"))
        return Report(heartbeat: heartbeat, clusterName: try text("cluster_name", max: ClusterSpec.maxNameLength), numWorkers: numWorkers, rows: rows)
    }
}
