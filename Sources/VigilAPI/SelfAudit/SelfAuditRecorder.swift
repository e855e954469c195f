import VigilCore
import VigilStore

/// Writes Vigil's own audit events (one per API request, plus security events) through the sequencer,
/// with priority, and waits for the commit: a request whose record cannot be written fails (fail-closed).
public struct SelfAuditRecorder: Sendable {
    public let sequencer: Sequencer
    public let accountID: String
    public let workspaceID: String
    public let clock: any WallClock

    public init(sequencer: Sequencer, accountID: String, workspaceID: String = "0", clock: any WallClock) {
        self.sequencer = sequencer
        self.accountID = accountID
        self.workspaceID = workspaceID
        self.clock = clock
    }

    /// Who called, from where, what for, and with what outcome.
    public struct Record: Sendable {
        public var service: String
        public var action: String
        public var userName: String?
        public var sourceIP: String?
        public var userAgent: String?
        public var requestID: String
        public var statusCode: Int
        public var errorMessage: String?
        public var requestParams: [(key: String, value: String)]

        public init(service: String, action: String, userName: String?, sourceIP: String?, userAgent: String?,
                    requestID: String, statusCode: Int, errorMessage: String?, requestParams: [(key: String, value: String)]) {
            self.service = service
            self.action = action
            self.userName = userName
            self.sourceIP = sourceIP
            self.userAgent = userAgent
            self.requestID = requestID
            self.statusCode = statusCode
            self.errorMessage = errorMessage
            self.requestParams = requestParams
        }
    }

    public func record(_ record: Record) async throws {
        _ = try await sequencer.submit([event(for: record)], priority: true)
    }

    /// The audit event for `record`, stamped now, in this server's workspace unless `workspace` says otherwise (an
    /// alert belongs to the workspace of the events that raised it).
    public func event(for record: Record, workspace: String? = nil) -> PreparedEvent {
        let now = clock.nowMillis()
        let event = AuditEvent(
            accountID: accountID, workspaceID: workspace ?? workspaceID, version: "2.0", eventTimeMillis: now,
            sourceIPAddress: record.sourceIP, userAgent: record.userAgent.map(Self.storable),
            userIdentity: UserIdentity(email: record.userName),
            serviceName: record.service, actionName: record.action, requestID: record.requestID,
            requestParams: record.requestParams.map { (Self.storable($0.key), Self.storable($0.value)) },
            response: EventResponse(statusCode: Int32(clamping: record.statusCode), errorMessage: record.errorMessage.map(Self.storable)),
            auditLevel: "WORKSPACE_LEVEL", eventID: RandomID.hex()
        )
        return PreparedEvent(event, receivedMillis: now, fromVigil: true)
    }

    /// Request-derived text (a query value such as `%00`) may hold U+0000, which SQLite text would truncate
    /// and the ledger would then flag: Vigil's own records replace it with U+FFFD.
    static func storable(_ text: String) -> String {
        text.utf8.contains(0) ? String(text.unicodeScalars.map { $0.value == 0 ? "\u{FFFD}" : Character($0) }) : text
    }
}
