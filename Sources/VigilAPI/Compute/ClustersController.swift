import Foundation
import Hummingbird
import VigilAccess
import VigilCore
import VigilMonitoring

/// The Clusters API (reference databricks.md §4.4): create, edit, start, restart, delete (terminate), get, list
/// and events, at `/api/2.1/clusters/...` and the `/api/2.0/` paths older clients use, in the shapes
/// `databricks-sdk` and the legacy `databricks` CLI read.
///
/// The cluster a request is about is in its body or query, so the per-cluster permission (CAN_ATTACH_TO to see it,
/// CAN_RESTART to start or restart it, CAN_MANAGE to edit or terminate it) is decided here, by the same `Access`
/// the middleware computed. Changes are audited as Databricks records them: service `clusters`, actions `create`,
/// `edit`, `start`, `restart`, `delete`, with `request_params` keys `cluster_id`, `cluster_name`, `num_workers`,
/// `autoscale`, `node_type_id`, `custom_tags`, `autotermination_minutes` (objects as JSON text).
struct ClustersController {
    let clusters: ClusterStore

    static let versions = ["/api/2.1", "/api/2.0"]

    func register(on router: Router<VigilRequestContext>) {
        for version in Self.versions {
            router.on(RouteTable.entry(.post, version + "/clusters/create"), use: create)
            router.on(RouteTable.entry(.post, version + "/clusters/edit"), use: edit)
            router.on(RouteTable.entry(.post, version + "/clusters/start"), use: { request, context in
                try await lifecycle(request, context, need: .restart) { id, user in try await clusters.start(id, user: user) }
            })
            router.on(RouteTable.entry(.post, version + "/clusters/restart"), use: { request, context in
                try await lifecycle(request, context, need: .restart) { id, user in try await clusters.restart(id, user: user) }
            })
            router.on(RouteTable.entry(.post, version + "/clusters/delete"), use: { request, context in
                try await lifecycle(request, context, need: .manage) { id, user in try await clusters.terminate(id, user: user) }
            })
            router.on(RouteTable.entry(.get, version + "/clusters/get"), use: get)
            router.on(RouteTable.entry(.get, version + "/clusters/list"), use: list)
            router.on(RouteTable.entry(.post, version + "/clusters/events"), use: events)
        }
    }

    static let maxBodyBytes = 256 << 10

    @Sendable func create(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await Self.body(request, context)
        let spec = try ClusterSpec.parse(body)
        let record = try await clusters.create(spec, creator: try context.requirePrincipal())
        context.auditNote.set("cluster_id", record.clusterID)
        return JSONResponse.make(JSONWriter.text(of: .object([JSONMember("cluster_id", .string(record.clusterID))])).utf8Bytes)
    }

    @Sendable func edit(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await Self.body(request, context)
        let id = try Self.clusterID(in: body)
        let spec = try ClusterSpec.parse(body, extraAllowed: ["cluster_id"])
        try await authorize(id, .manage, context)
        _ = try await clusters.edit(id, to: spec, user: try context.requirePrincipal().userName)
        return JSONResponse.make(Array("{}".utf8))
    }

    func lifecycle(_ request: Request, _ context: VigilRequestContext, need: Access.ClusterLevel,
                   _ apply: (String, String) async throws -> ClusterRecord) async throws -> Response {
        let body = try await Self.body(request, context)
        guard case .object(let members) = body else { throw VigilError(.invalidParameter, "the request body must be a JSON object {cluster_id}") }
        if let unknown = members.first(where: { $0.key != "cluster_id" }) {
            throw VigilError(.invalidParameter, "unknown field '\(unknown.key.prefix(64))'; the body is {\"cluster_id\": ...}")
        }
        let id = try Self.clusterID(in: body)
        try await authorize(id, need, context)
        _ = try await apply(id, try context.requirePrincipal().userName)
        return JSONResponse.make(Array("{}".utf8))
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["cluster_id"])
        guard let id = try query.string("cluster_id"), !id.isEmpty else { throw VigilError(.invalidParameter, "cluster_id is required") }
        if let problem = ClusterID.problem(id) { throw VigilError(.invalidParameter, "cluster_id is invalid: \(problem)") }
        context.auditNote.set("cluster_id", id)
        let record = try await authorize(id, .attach, context)
        return JSONResponse.make(JSONWriter.text(of: ClusterJSON.value(record)).utf8Bytes)
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(
            request,
            allowed: ["page_size", "page_token", "filter_by.cluster_states", "filter_by.cluster_sources", "filter_by.is_pinned",
                      "filter_by.policy_id", "sort_by.direction", "sort_by.field", "can_use_client"])
        let pageSize = try query.integer("page_size", range: 1...2500) ?? 2500
        let after = try query.string("page_token").map(Self.decodeListToken)
        var states: Set<String> = []
        for value in try query.all("filter_by.cluster_states") {
            for state in value.split(separator: ",").map(String.init) {
                guard ClusterState(rawValue: state) != nil else {
                    throw VigilError(.invalidParameter, "filter_by.cluster_states: '\(state.prefix(32))' is not a cluster state; states: \(ClusterState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                states.insert(state)
            }
        }
        let sources = Set(try query.all("filter_by.cluster_sources").flatMap { $0.split(separator: ",").map(String.init) })
        let access = try context.requireAccess()
        let wanted = states
        let page = try await clusters.page(after: after, limit: pageSize) { record in
            access.has(.attach, onCluster: record.clusterID) && (wanted.isEmpty || wanted.contains(record.state.rawValue))
                && (sources.isEmpty || sources.contains(record.source))
        }
        var members = [JSONMember("clusters", .array(page.clusters.map(ClusterJSON.value)))]
        if page.more, let last = page.clusters.last {
            members.append(JSONMember("next_page_token", .string(Base64URL.encode("c1.\(last.key)"))))
        }
        return JSONResponse.make(JSONWriter.text(of: .object(members)).utf8Bytes)
    }

    @Sendable func events(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await Self.body(request, context)
        let parsed = try ClusterEventsRequest.parse(body)
        context.auditNote.set("cluster_id", parsed.query.clusterID)
        try await authorize(parsed.query.clusterID, .attach, context)
        let (events, total) = try await clusters.events(parsed.query)
        return JSONResponse.make(JSONWriter.text(of: parsed.response(events: events, total: total)).utf8Bytes)
    }

    /// The cluster, when the caller holds `level` on it; a cluster the caller may not see is refused as Databricks
    /// refuses it (403), one that does not exist with INVALID_PARAMETER_VALUE.
    @discardableResult
    func authorize(_ id: String, _ level: Access.ClusterLevel, _ context: VigilRequestContext) async throws -> ClusterRecord {
        let access = try context.requireAccess()
        guard let record = try await clusters.get(id) else { throw ClusterStore.notFound(id) }
        guard access.has(level, onCluster: id) else {
            throw VigilError(
                .permissionDenied,
                "\(access.principal.userName) does not have permission for this request; it needs \(level.name) on clusters/\(id.prefix(64))")
        }
        return record
    }

    /// Reads the JSON body and notes its fields for the audit record, as Databricks keys them (strings as they are,
    /// objects and arrays as compact JSON text).
    static func body(_ request: Request, _ context: VigilRequestContext) async throws -> JSONValue {
        let bytes = try await RequestBody.collect(request, limit: maxBodyBytes)
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, rejectsDuplicateKeys: true)
        } catch {
            throw VigilError(.invalidParameter, "the request body is not valid JSON: \(error)")
        }
        if case .object(let members) = value {
            for member in members where auditedFields.contains(member.key) {
                switch member.value {
                case .string(let text): context.auditNote.set(member.key, text)
                case .number(let text): context.auditNote.set(member.key, text)
                case .null: continue
                default: context.auditNote.set(member.key, JSONWriter.text(of: member.value))
                }
            }
        }
        return value
    }

    static let auditedFields: Set<String> = [
        "cluster_id", "cluster_name", "spark_version", "node_type_id", "driver_node_type_id", "num_workers", "autoscale",
        "autotermination_minutes", "custom_tags",
    ]

    static func clusterID(in body: JSONValue) throws -> String {
        guard let value = body["cluster_id"], value != .null else { throw VigilError(.invalidParameter, "cluster_id is required") }
        guard case .string(let id) = value else { throw VigilError(.invalidParameter, "cluster_id must be a string, got \(value.typeName)") }
        if let problem = ClusterID.problem(id) { throw VigilError(.invalidParameter, "cluster_id is invalid: \(problem)") }
        return id
    }

    static func decodeListToken(_ token: String) throws -> Int64 {
        guard let text = Base64URL.decode(token), text.hasPrefix("c1."), let key = Int64(text.dropFirst(3)) else {
            throw VigilError(.invalidParameter, "page_token is not a token this server issued; start again without it")
        }
        return key
    }
}
