/// One row of `system.access.audit`, in the form Vigil stores (reference databricks.md §1.1).
///
/// Both ingest shapes (the table's snake_case and the delivery files' camelCase) decode into this one
/// type; the API always answers in the table shape. `event_date` is derived from `eventTimeMillis` and is
/// never stored separately from it, so the two cannot disagree.
public struct AuditEvent: Sendable, Equatable {
    public var accountID: String?
    public var workspaceID: String?
    public var version: String?
    /// `event_time` (TIMESTAMP, UTC) with millisecond precision.
    public var eventTimeMillis: Int64
    public var sourceIPAddress: String?
    public var userAgent: String?
    public var sessionID: String?
    public var userIdentity: UserIdentity?
    public var serviceName: String
    public var actionName: String
    public var requestID: String?
    /// `MAP<STRING, STRING>`, in ascending key order (a map has no order; sorting makes the stored and
    /// canonical forms stable).
    public var requestParams: [(key: String, value: String)]?
    public var response: EventResponse?
    public var auditLevel: String?
    public var eventID: String
    public var identityMetadata: IdentityMetadata?

    public init(
        accountID: String? = nil, workspaceID: String? = nil, version: String? = "2.0", eventTimeMillis: Int64,
        sourceIPAddress: String? = nil, userAgent: String? = nil, sessionID: String? = nil,
        userIdentity: UserIdentity? = nil, serviceName: String, actionName: String, requestID: String? = nil,
        requestParams: [(key: String, value: String)]? = nil, response: EventResponse? = nil,
        auditLevel: String? = nil, eventID: String, identityMetadata: IdentityMetadata? = nil
    ) {
        self.accountID = accountID
        self.workspaceID = workspaceID
        self.version = version
        self.eventTimeMillis = eventTimeMillis
        self.sourceIPAddress = sourceIPAddress
        self.userAgent = userAgent
        self.sessionID = sessionID
        self.userIdentity = userIdentity
        self.serviceName = serviceName
        self.actionName = actionName
        self.requestID = requestID
        self.requestParams = requestParams.map { $0.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) } }
        self.response = response
        self.auditLevel = auditLevel
        self.eventID = eventID
        self.identityMetadata = identityMetadata
    }

    /// `event_date`: the UTC calendar date of `event_time`.
    public var eventDate: String { Timestamp.formatDate(millis: eventTimeMillis) }

    public static func == (lhs: AuditEvent, rhs: AuditEvent) -> Bool {
        lhs.canonicalBytes() == rhs.canonicalBytes()
    }
}

/// `user_identity STRUCT<email: STRING, subject_name: STRING>`.
public struct UserIdentity: Sendable, Equatable {
    public var email: String?
    public var subjectName: String?

    public init(email: String? = nil, subjectName: String? = nil) {
        self.email = email
        self.subjectName = subjectName
    }
}

/// `response STRUCT<status_code: INT, error_message: STRING, result: STRING>`.
public struct EventResponse: Sendable, Equatable {
    public var statusCode: Int32?
    public var errorMessage: String?
    public var result: String?

    public init(statusCode: Int32? = nil, errorMessage: String? = nil, result: String? = nil) {
        self.statusCode = statusCode
        self.errorMessage = errorMessage
        self.result = result
    }
}

/// `identity_metadata STRUCT<run_by: STRING, run_as: STRING, acting_resource: STRING>`.
public struct IdentityMetadata: Sendable, Equatable {
    public var runBy: String?
    public var runAs: String?
    public var actingResource: String?

    public init(runBy: String? = nil, runAs: String? = nil, actingResource: String? = nil) {
        self.runBy = runBy
        self.runAs = runAs
        self.actingResource = actingResource
    }
}
