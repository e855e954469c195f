import Foundation
import GRDB
import VigilCore

/// The mapping between `AuditEvent` and a row of `audit_events`, in one place for writes and reads
/// (public so the benchmark's plain-SQLite baseline inserts exactly the same rows).
public enum EventRow {
    public static let insertSQL = """
        INSERT INTO audit_events (
            seq, event_id, event_time, event_date, account_id, workspace_id, version, source_ip_address, user_agent,
            session_id, user_email, user_subject_name, service_name, action_name, request_id, request_params,
            status_code, error_message, result, audit_level, run_by, run_as, acting_resource, present_structs,
            received_time
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(event_id) DO NOTHING
        """

    static let selectColumns = """
        seq, event_id, event_time, account_id, workspace_id, version, source_ip_address, user_agent, session_id,
        user_email, user_subject_name, service_name, action_name, request_id, request_params, status_code,
        error_message, result, audit_level, run_by, run_as, acting_resource, present_structs, received_time
        """

    public static func arguments(_ prepared: PreparedEvent, seq: Int64) -> StatementArguments {
        let event = prepared.event
        var present: Int64 = 0
        if event.userIdentity != nil { present |= 1 }
        if event.response != nil { present |= 2 }
        if event.identityMetadata != nil { present |= 4 }
        let values: [(any DatabaseValueConvertible)?] = [
            seq, event.eventID, event.eventTimeMillis, event.eventDate, event.accountID, event.workspaceID,
            event.version, event.sourceIPAddress, event.userAgent, event.sessionID, event.userIdentity?.email,
            event.userIdentity?.subjectName, event.serviceName, event.actionName, event.requestID,
            event.requestParamsJSON, event.response?.statusCode.map { Int64($0) }, event.response?.errorMessage,
            event.response?.result, event.auditLevel, event.identityMetadata?.runBy, event.identityMetadata?.runAs,
            event.identityMetadata?.actingResource, present, prepared.receivedMillis,
        ]
        return StatementArguments(values)
    }

    static func decode(_ row: Row) throws -> StoredEvent {
        let present: Int64 = row["present_structs"]
        var requestParams: [(key: String, value: String)]?
        if let text: String = row["request_params"] {
            guard case .object(let members) = try JSONParser.parse(text) else {
                throw VigilError(.internal, "stored request_params of seq \(row["seq"] as Int64) is not an object")
            }
            requestParams = members.compactMap { member in
                if case .string(let value) = member.value { return (member.key, value) }
                return nil
            }
        }
        let statusCode: Int64? = row["status_code"]
        let event = AuditEvent(
            accountID: row["account_id"], workspaceID: row["workspace_id"], version: row["version"],
            eventTimeMillis: row["event_time"], sourceIPAddress: row["source_ip_address"], userAgent: row["user_agent"],
            sessionID: row["session_id"],
            userIdentity: present & 1 != 0 ? UserIdentity(email: row["user_email"], subjectName: row["user_subject_name"]) : nil,
            serviceName: row["service_name"], actionName: row["action_name"], requestID: row["request_id"],
            requestParams: requestParams,
            response: present & 2 != 0
                ? EventResponse(statusCode: statusCode.map { Int32(truncatingIfNeeded: $0) }, errorMessage: row["error_message"], result: row["result"])
                : nil,
            auditLevel: row["audit_level"], eventID: row["event_id"],
            identityMetadata: present & 4 != 0
                ? IdentityMetadata(runBy: row["run_by"], runAs: row["run_as"], actingResource: row["acting_resource"])
                : nil
        )
        return StoredEvent(seq: row["seq"], event: event, receivedMillis: row["received_time"])
    }
}
