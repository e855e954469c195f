import VigilCore

/// A `POST /api/2.1/clusters/events` body (reference databricks.md §4.4) and the page it answers.
///
/// Two ways to page, as Databricks has: `offset`/`limit` (the legacy CLI and older clients; default 50, at most
/// 500), and `page_size`/`page_token` (keyset: stable while new events arrive). Either way the answer carries
/// `next_page`, the whole body of the next request, because `databricks-sdk` pages by posting it back verbatim;
/// it is absent on the last page.
public struct ClusterEventsRequest: Sendable, Equatable {
    public var query: ClusterEventQuery
    /// The request used `page_size`/`page_token` (keyset paging) rather than `offset`/`limit`.
    public var keyset: Bool
    /// The order as given (`ASC`/`DESC`), nil when absent, to be repeated in `next_page`.
    public var order: String?

    public static let defaultLimit = 50
    public static let maxLimit = 500

    /// Event types Databricks defines (its EventType enum); a filter naming another is refused.
    public static let eventTypes: Set<String> = [
        "ADD_NODES_FAILED", "AUTOMATIC_CLUSTER_UPDATE", "AUTOSCALING_BACKOFF", "AUTOSCALING_FAILED", "AUTOSCALING_STATS_REPORT",
        "CLUSTER_MIGRATED", "CREATING", "DBFS_DOWN", "DECOMMISSION_ENDED", "DECOMMISSION_STARTED", "DEFERRED_POLICY_ENFORCEMENT_FAILED",
        "DEFERRED_POLICY_ENFORCEMENT_SCHEDULED", "DID_NOT_EXPAND_DISK", "DRIVER_HEALTHY", "DRIVER_NOT_RESPONDING", "DRIVER_UNAVAILABLE",
        "EDITED", "EXPANDED_DISK", "FAILED_TO_EXPAND_DISK", "INIT_SCRIPTS_FINISHED", "INIT_SCRIPTS_STARTED", "METASTORE_DOWN",
        "NODES_LOST", "NODE_BLACKLISTED", "NODE_EXCLUDED_DECOMMISSIONED", "PINNED", "RESIZING", "RESTARTING", "RUNNING",
        "SPARK_EXCEPTION", "STARTING", "TERMINATING", "UC_VOLUME_MISCONFIGURED", "UNPINNED", "UPSIZE_COMPLETED",
    ]

    static let fields: Set<String> = ["cluster_id", "start_time", "end_time", "order", "event_types", "offset", "limit", "page_size", "page_token"]

    /// Reads the body; every problem names its field.
    public static func parse(_ body: JSONValue) throws -> ClusterEventsRequest {
        guard case .object(let members) = body else {
            throw VigilError(.invalidParameter, "the request body must be a JSON object, got \(body.typeName)")
        }
        if let unknown = members.first(where: { !fields.contains($0.key) }) {
            throw VigilError(.invalidParameter, "unknown field '\(unknown.key.prefix(64))'; fields: \(fields.sorted().joined(separator: ", "))")
        }
        func present(_ key: String) -> JSONValue? {
            guard let value = body[key], value != .null else { return nil }
            return value
        }
        guard case .string(let clusterID)? = present("cluster_id") else {
            throw VigilError(.invalidParameter, "cluster_id is required (a string)")
        }
        if let problem = ClusterID.problem(clusterID) { throw VigilError(.invalidParameter, "cluster_id is invalid: \(problem)") }
        var query = ClusterEventQuery(clusterID: clusterID)
        query.startMillis = try present("start_time").map { try millis($0, "start_time") }
        query.endMillis = try present("end_time").map { try millis($0, "end_time") }
        if let start = query.startMillis, let end = query.endMillis, end < start {
            throw VigilError(.invalidParameter, "end_time (\(end)) is before start_time (\(start))")
        }
        var order: String?
        if let value = present("order") {
            guard case .string(let text) = value, ["ASC", "DESC"].contains(text.uppercased()) else {
                throw VigilError(.invalidParameter, "order must be ASC or DESC")
            }
            order = text.uppercased()
            query.ascending = order == "ASC"
        }
        if let value = present("event_types") {
            guard case .array(let items) = value else { throw VigilError(.invalidParameter, "event_types must be an array of event types") }
            query.types = try items.enumerated().map { index, item in
                guard case .string(let type) = item, eventTypes.contains(type) else {
                    throw VigilError(.invalidParameter, "event_types[\(index)] is not a cluster event type; types: \(eventTypes.sorted().joined(separator: ", "))")
                }
                return type
            }
        }
        let offset = try present("offset").map { try integer($0, "offset", 0...1_000_000_000) }
        let limit = try present("limit").map { try integer($0, "limit", 1...maxLimit) }
        let pageSize = try present("page_size").map { try integer($0, "page_size", 0...maxLimit) }
        var token: String?
        if let value = present("page_token") {
            guard case .string(let text) = value else { throw VigilError(.invalidParameter, "page_token must be a string") }
            token = text.isEmpty ? nil : text
        }
        let keyset = pageSize != nil || token != nil
        if keyset, offset != nil || limit != nil {
            throw VigilError(.invalidParameter, "use either offset and limit or page_size and page_token, not both")
        }
        if keyset {
            query.limit = (pageSize ?? 0) == 0 ? defaultLimit : pageSize!
            if let token { query.after = try decodeToken(token, ascending: query.ascending) }
        } else {
            query.offset = offset ?? 0
            query.limit = limit ?? defaultLimit
        }
        return ClusterEventsRequest(query: query, keyset: keyset, order: order)
    }

    /// The answer: the events, `total_count`, and `next_page` (and `next_page_token` when paging by token) unless
    /// this is the last page.
    public func response(events: [ClusterEventRecord], total: Int) -> JSONValue {
        var members = [JSONMember("events", .array(events.map(Self.json)))]
        var next: [JSONMember]?
        if keyset {
            if events.count == query.limit, let last = events.last {
                let token = Self.encodeToken(timestamp: last.timestamp, id: last.id, ascending: query.ascending)
                next = base() + [JSONMember("page_size", .number(String(query.limit))), JSONMember("page_token", .string(token))]
                members.append(JSONMember("next_page_token", .string(token)))
            }
        } else if query.offset + events.count < total, !events.isEmpty {
            next = base() + [JSONMember("offset", .number(String(query.offset + events.count))), JSONMember("limit", .number(String(query.limit)))]
        }
        if let next { members.append(JSONMember("next_page", .object(next))) }
        members.append(JSONMember("total_count", .number(String(total))))
        return .object(members)
    }

    /// The request's filters, repeated in `next_page`.
    func base() -> [JSONMember] {
        var members = [JSONMember("cluster_id", .string(query.clusterID))]
        if let start = query.startMillis { members.append(JSONMember("start_time", .number(String(start)))) }
        if let end = query.endMillis { members.append(JSONMember("end_time", .number(String(end)))) }
        if let order { members.append(JSONMember("order", .string(order))) }
        if !query.types.isEmpty { members.append(JSONMember("event_types", .array(query.types.map(JSONValue.string)))) }
        return members
    }

    public static func json(_ event: ClusterEventRecord) -> JSONValue {
        let details = (try? JSONParser.parse(Array(event.details.utf8))) ?? .object([])
        return .object([
            JSONMember("cluster_id", .string(event.clusterID)), JSONMember("timestamp", .number(String(event.timestamp))),
            JSONMember("type", .string(event.type)), JSONMember("details", details),
        ])
    }

    /// An integer as a JSON number or as a string of digits: Databricks reads int64 fields either way, and the legacy
    /// CLI sends its flags (`--limit 5`) as strings.
    static func digits(_ value: JSONValue) -> String? {
        switch value {
        case .number(let text), .string(let text): text
        default: nil
        }
    }

    static func millis(_ value: JSONValue, _ name: String) throws -> Int64 {
        guard let text = digits(value), let number = Int64(text), number >= 0 else {
            throw VigilError(.invalidParameter, "\(name) must be epoch milliseconds (a non-negative integer)")
        }
        return number
    }

    static func integer(_ value: JSONValue, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let text = digits(value), let number = Int(text), range.contains(number) else {
            throw VigilError(.invalidParameter, "\(name) must be an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    static func encodeToken(timestamp: Int64, id: Int64, ascending: Bool) -> String {
        Base64URL.encode("e1.\(ascending ? "a" : "d").\(timestamp).\(id)")
    }

    static func decodeToken(_ token: String, ascending: Bool) throws -> (timestamp: Int64, id: Int64) {
        let invalid = VigilError(.invalidParameter, "page_token is not a token this server issued for this order; start again without it")
        guard let text = Base64URL.decode(token, maxLength: 128) else { throw invalid }
        let parts = text.split(separator: ".")
        guard parts.count == 4, parts[0] == "e1", parts[1] == (ascending ? "a" : "d"), let timestamp = Int64(parts[2]), let id = Int64(parts[3])
        else { throw invalid }
        return (timestamp, id)
    }
}
