import VigilCore

/// A field of `system.access.audit` as a Sigma rule names it (`user_identity.email`, `request_params.<key>`,
/// `response.status_code`, …), resolved once when the rule loads so matching an event is a switch, not a lookup.
public enum EventField: Sendable, Hashable, CustomStringConvertible {
    case accountID, workspaceID, version, eventTime, eventDate, sourceIPAddress, userAgent, sessionID
    case userEmail, userSubjectName, serviceName, actionName, requestID, statusCode, errorMessage, result
    case auditLevel, eventID, runBy, runAs, actingResource
    case requestParam(String)

    static let columns: [(String, EventField)] = [
        ("account_id", .accountID), ("workspace_id", .workspaceID), ("version", .version), ("event_time", .eventTime),
        ("event_date", .eventDate), ("source_ip_address", .sourceIPAddress), ("user_agent", .userAgent),
        ("session_id", .sessionID), ("user_identity.email", .userEmail), ("user_identity.subject_name", .userSubjectName),
        ("service_name", .serviceName), ("action_name", .actionName), ("request_id", .requestID),
        ("response.status_code", .statusCode), ("response.error_message", .errorMessage), ("response.result", .result),
        ("audit_level", .auditLevel), ("event_id", .eventID), ("identity_metadata.run_by", .runBy),
        ("identity_metadata.run_as", .runAs), ("identity_metadata.acting_resource", .actingResource),
    ]

    /// The field a rule names, or nil when `system.access.audit` has no such column.
    public init?(name: String) {
        if name.hasPrefix("request_params."), name.count > "request_params.".count {
            self = .requestParam(String(name.dropFirst("request_params.".count)))
            return
        }
        guard let match = Self.columns.first(where: { $0.0 == name }) else { return nil }
        self = match.1
    }

    public var description: String {
        if case .requestParam(let key) = self { return "request_params." + key }
        return Self.columns.first { $0.1 == self }?.0 ?? "?"
    }

    /// Every column name a rule may use, for error messages.
    public static var names: [String] { columns.map(\.0) + ["request_params.<key>"] }

    /// The event's value as text (what `SELECT` shows), or nil when the event has none.
    public func value(in event: AuditEvent) -> String? {
        switch self {
        case .accountID: event.accountID
        case .workspaceID: event.workspaceID
        case .version: event.version
        case .eventTime: Timestamp.formatRFC3339(millis: event.eventTimeMillis)
        case .eventDate: event.eventDate
        case .sourceIPAddress: event.sourceIPAddress
        case .userAgent: event.userAgent
        case .sessionID: event.sessionID
        case .userEmail: event.userIdentity?.email
        case .userSubjectName: event.userIdentity?.subjectName
        case .serviceName: event.serviceName
        case .actionName: event.actionName
        case .requestID: event.requestID
        case .statusCode: event.response?.statusCode.map { String($0) }
        case .errorMessage: event.response?.errorMessage
        case .result: event.response?.result
        case .auditLevel: event.auditLevel
        case .eventID: event.eventID
        case .runBy: event.identityMetadata?.runBy
        case .runAs: event.identityMetadata?.runAs
        case .actingResource: event.identityMetadata?.actingResource
        case .requestParam(let key): event.requestParams?.first { $0.key == key }?.value
        }
    }
}
