/// One reason an ingested event was refused: which event (0-based position in the request), which field
/// (dotted path in the shape the producer sent), and a stable snake_case `reason` code that also labels the
/// `vigil_ingest_events_rejected_total` counter.
public struct ValidationProblem: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var field: String
    public var reason: ValidationReason
    /// Human detail ("got number, want string"); not part of the stable contract.
    public var detail: String

    public init(index: Int, field: String, reason: ValidationReason, detail: String) {
        self.index = index
        self.field = field
        self.reason = reason
        self.detail = detail
    }

    public var description: String { description(item: "event") }

    /// The problem naming what was refused: "row 3: end_time: invalid_interval (...)".
    /// `event 3: response.status_code: wrong_type (got string, want integer)`; a problem of the whole item (malformed
    /// JSON) has no field: `event 1: malformed_json (…)`.
    public func description(item: String) -> String {
        field.isEmpty ? "\(item) \(index): \(reason.rawValue) (\(detail))" : "\(item) \(index): \(field): \(reason.rawValue) (\(detail))"
    }
}

/// The stable reason codes. Adding one is fine; renaming one breaks dashboards and must not happen.
public enum ValidationReason: String, Sendable, CaseIterable {
    case malformedJSON = "malformed_json"
    case invalidUTF8 = "invalid_utf8"
    case notAnObject = "not_an_object"
    case unknownField = "unknown_field"
    case duplicateField = "duplicate_field"
    case wrongType = "wrong_type"
    case missingServiceName = "missing_service_name"
    case missingActionName = "missing_action_name"
    case missingEventTime = "missing_event_time"
    case invalidEventTime = "invalid_event_time"
    case eventTimeInFuture = "event_time_in_future"
    case eventDateMismatch = "event_date_mismatch"
    case invalidEventID = "invalid_event_id"
    case invalidAuditLevel = "invalid_audit_level"
    case invalidStatusCode = "invalid_status_code"
    case eventTooLarge = "event_too_large"
    case emptyRequest = "empty_request"
    case tooManyEvents = "too_many_events"
    case eventIDConflict = "event_id_conflict"
    /// A string holds U+0000, which SQLite's text binding would silently truncate.
    case nulCharacter = "nul_character"
    // Node timeline rows (`POST /api/2.0/vigil/compute/node-timeline`).
    /// A required member (`cluster_id`, `instance_id`, `start_time`, `end_time`) is absent, null or empty.
    case missingField = "missing_field"
    /// A timestamp is not RFC 3339, or lies ahead of the server clock.
    case invalidTimestamp = "invalid_timestamp"
    /// `end_time` is not after `start_time`.
    case invalidInterval = "invalid_interval"
    /// A number outside its range: a percentage outside 0–100, a negative or non-integer byte count.
    case outOfRange = "out_of_range"
    /// A row with the same `cluster_id`, `instance_id` and `start_time` is stored with other values.
    case rowConflict = "row_conflict"
    /// A row in an agent's heartbeat that is not of the reporting node (another cluster_id or instance_id).
    case foreignNode = "foreign_node"
    // App log lines (`POST /api/2.0/vigil/apps/{name}/logs`, Loki push, OTLP logs).
    /// A line without `message` (or a Loki value without its line, an OTLP record without a body).
    case missingMessage = "missing_message"
    /// `source` is not APP or SYSTEM.
    case invalidSource = "invalid_source"
    /// `stream` is not stdout or stderr.
    case invalidStream = "invalid_stream"
    /// A Loki stream without the `app` label, an OTLP resource without `service.name`.
    case missingApp = "missing_app"
    /// The app named does not exist, or the caller may not ship its logs.
    case unknownApp = "unknown_app"
    /// A log line older than the retention: not stored (retention would delete it at once), counted.
    case tooOld = "too_old"
}
