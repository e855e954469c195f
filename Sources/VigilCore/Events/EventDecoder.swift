/// Turns one producer JSON object into an `AuditEvent`, collecting every problem instead of stopping at
/// the first, so a producer can fix a whole batch from one 400 response.
///
/// Two shapes are accepted (reference databricks.md §1–2): the table shape (`service_name`, `event_time`
/// as RFC 3339) and the delivery-file shape (`serviceName`, `timestamp` as epoch milliseconds). An event
/// is read as the delivery shape when it has `timestamp` or any camelCase member; its member names must
/// then all come from that shape.
public struct EventDecoder: Sendable {
    public var limits: IngestLimits

    public init(limits: IngestLimits = IngestLimits()) {
        self.limits = limits
    }

    /// Decodes `value`, the event at `index` of a request received at `nowMillis`. Returns nil when any
    /// problem was found (and appended to `problems`).
    public func decode(_ value: JSONValue, index: Int, nowMillis: Int64, problems: inout [ValidationProblem]) -> AuditEvent? {
        guard case .object(let members) = value else {
            problems.append(.init(index: index, field: "", reason: .notAnObject, detail: "got \(value.typeName), want object"))
            return nil
        }
        let isDelivery = members.contains { $0.key == "timestamp" || DeliveryShape.camelCaseKeys.contains($0.key) }
        var reader = FieldReader(index: index, members: members, shape: isDelivery ? DeliveryShape.self : TableShape.self)
        let names: ShapeNames.Type = isDelivery ? DeliveryShape.self : TableShape.self

        let serviceName = reader.requiredString(names.serviceName, missing: .missingServiceName)
        let actionName = reader.requiredString(names.actionName, missing: .missingActionName)
        let eventTime: Int64? = isDelivery ? reader.epochMillis(names.eventTime) : reader.rfc3339(names.eventTime)
        if let eventTime, eventTime > nowMillis + limits.maxFutureSkewMillis {
            reader.report(names.eventTime, .eventTimeInFuture,
                          "\(Timestamp.formatRFC3339(millis: eventTime)) is more than \(limits.maxFutureSkewMillis / 1000) s ahead of the server clock")
        }
        if !isDelivery, let eventTime, let date = reader.optionalString("event_date"),
           date != Timestamp.formatDate(millis: eventTime) {
            reader.report("event_date", .eventDateMismatch, "got \(date), want \(Timestamp.formatDate(millis: eventTime)) (the UTC date of event_time)")
        }
        let eventID = reader.optionalString(names.eventID)
        if let eventID, !Self.isValidEventID(eventID) {
            reader.report(names.eventID, .invalidEventID, "want 1 to 128 characters from [A-Za-z0-9._:-]")
        }
        let auditLevel = reader.optionalString(names.auditLevel)
        if let auditLevel, auditLevel != "ACCOUNT_LEVEL", auditLevel != "WORKSPACE_LEVEL" {
            reader.report(names.auditLevel, .invalidAuditLevel, "got \(auditLevel), want ACCOUNT_LEVEL or WORKSPACE_LEVEL")
        }
        let userIdentity = reader.object(names.userIdentity, fields: names.userIdentityFields).map {
            UserIdentity(email: $0[0], subjectName: $0[1])
        }
        let response = reader.response(names.response, fields: names.responseFields)
        let identityMetadata = reader.object(names.identityMetadata, fields: names.identityMetadataFields).map {
            IdentityMetadata(runBy: $0[0], runAs: $0[1], actingResource: $0[2])
        }
        let event = AuditEvent(
            accountID: reader.optionalString(names.accountID),
            workspaceID: reader.identifierText(names.workspaceID) ?? names.workspaceAlias.flatMap { reader.identifierText($0) },
            version: reader.optionalString("version"),
            eventTimeMillis: eventTime ?? 0,
            sourceIPAddress: reader.optionalString(names.sourceIPAddress),
            userAgent: reader.optionalString(names.userAgent),
            sessionID: reader.optionalString(names.sessionID),
            userIdentity: userIdentity,
            serviceName: serviceName ?? "",
            actionName: actionName ?? "",
            requestID: reader.optionalString(names.requestID),
            requestParams: reader.requestParams(names.requestParams),
            response: response,
            auditLevel: auditLevel,
            eventID: eventID ?? "",
            identityMetadata: identityMetadata
        )
        reader.reportUnknownMembers()
        guard reader.problems.isEmpty, serviceName != nil, actionName != nil, eventTime != nil else {
            problems.append(contentsOf: reader.problems)
            return nil
        }
        return event
    }

    /// Event ids are opaque, but they appear in URLs and cursors: keep them short and URL-safe.
    public static func isValidEventID(_ id: String) -> Bool {
        guard !id.isEmpty, id.utf8.count <= 128 else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: ":"):
                true
            default: false
            }
        }
    }
}

/// Member names of one ingest shape.
protocol ShapeNames {
    static var allKeys: Set<String> { get }
    static var accountID: String { get }
    static var workspaceID: String { get }
    static var workspaceAlias: String? { get }
    static var eventTime: String { get }
    static var sourceIPAddress: String { get }
    static var userAgent: String { get }
    static var sessionID: String { get }
    static var userIdentity: String { get }
    static var userIdentityFields: [String] { get }
    static var serviceName: String { get }
    static var actionName: String { get }
    static var requestID: String { get }
    static var requestParams: String { get }
    static var response: String { get }
    static var responseFields: [String] { get }
    static var auditLevel: String { get }
    static var eventID: String { get }
    static var identityMetadata: String { get }
    static var identityMetadataFields: [String] { get }
}

enum TableShape: ShapeNames {
    static let allKeys: Set<String> = Set(AuditEvent.columnNames)
    static let accountID = "account_id"
    static let workspaceID = "workspace_id"
    static let workspaceAlias: String? = nil
    static let eventTime = "event_time"
    static let sourceIPAddress = "source_ip_address"
    static let userAgent = "user_agent"
    static let sessionID = "session_id"
    static let userIdentity = "user_identity"
    static let userIdentityFields = ["email", "subject_name"]
    static let serviceName = "service_name"
    static let actionName = "action_name"
    static let requestID = "request_id"
    static let requestParams = "request_params"
    static let response = "response"
    static let responseFields = ["status_code", "error_message", "result"]
    static let auditLevel = "audit_level"
    static let eventID = "event_id"
    static let identityMetadata = "identity_metadata"
    static let identityMetadataFields = ["run_by", "run_as", "acting_resource"]
}

/// The delivery-file shape. `shardName` and `MAX_LOG_MESSAGE_LENGTH` appear in real files but have no
/// column: they are accepted and not stored (documented in docs/ingest.md).
enum DeliveryShape: ShapeNames {
    static let camelCaseKeys: Set<String> = [
        "accountId", "orgId", "workspaceId", "sourceIPAddress", "userAgent", "sessionId", "userIdentity",
        "serviceName", "actionName", "requestId", "requestParams", "auditLevel", "eventId", "identityMetadata",
        "shardName",
    ]
    static let ignoredKeys: Set<String> = ["shardName", "MAX_LOG_MESSAGE_LENGTH"]
    static let allKeys: Set<String> = camelCaseKeys.union(["version", "timestamp", "response", "MAX_LOG_MESSAGE_LENGTH"])
    static let accountID = "accountId"
    static let workspaceID = "orgId"
    static let workspaceAlias: String? = "workspaceId"
    static let eventTime = "timestamp"
    static let sourceIPAddress = "sourceIPAddress"
    static let userAgent = "userAgent"
    static let sessionID = "sessionId"
    static let userIdentity = "userIdentity"
    static let userIdentityFields = ["email", "subjectName"]
    static let serviceName = "serviceName"
    static let actionName = "actionName"
    static let requestID = "requestId"
    static let requestParams = "requestParams"
    static let response = "response"
    static let responseFields = ["statusCode", "errorMessage", "result"]
    static let auditLevel = "auditLevel"
    static let eventID = "eventId"
    static let identityMetadata = "identityMetadata"
    static let identityMetadataFields = ["runBy", "runAs", "actingResource"]
}
