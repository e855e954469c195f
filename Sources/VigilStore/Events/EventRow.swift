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

    /// `selectColumns` qualified with a table alias, for joins (`e.seq, e.event_id, …`).
    static func selectColumns(qualifiedBy alias: String) -> String {
        selectColumns.split(separator: ",").map { "\(alias).\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }
            .joined(separator: ", ")
    }

    /// Decodes a row whose columns are `selectColumns`, in that order, starting at column `offset`.
    /// Columns are read by position, not name: `vigil verify` decodes every row of the log.
    static func decode(_ row: Row, offset: Int = 0) throws -> StoredEvent {
        let seq: Int64 = row[offset]
        var requestParams: [(key: String, value: String)]?
        if let text: String = row[offset + 14] {
            guard case .object(let members) = try JSONParser.parse(text) else {
                throw VigilError(.internal, "stored request_params of seq \(seq) is not an object")
            }
            requestParams = members.compactMap { member in
                if case .string(let value) = member.value { return (member.key, value) }
                return nil
            }
        }
        let present: Int64 = row[offset + 22]
        let statusCode: Int64? = row[offset + 15]
        let event = AuditEvent(
            accountID: row[offset + 3], workspaceID: row[offset + 4], version: row[offset + 5],
            eventTimeMillis: row[offset + 2], sourceIPAddress: row[offset + 6], userAgent: row[offset + 7],
            sessionID: row[offset + 8],
            userIdentity: present & 1 != 0 ? UserIdentity(email: row[offset + 9], subjectName: row[offset + 10]) : nil,
            serviceName: row[offset + 11], actionName: row[offset + 12], requestID: row[offset + 13],
            requestParams: requestParams,
            response: present & 2 != 0
                ? EventResponse(statusCode: statusCode.map { Int32(truncatingIfNeeded: $0) }, errorMessage: row[offset + 16],
                                result: row[offset + 17])
                : nil,
            auditLevel: row[offset + 18], eventID: row[offset + 1],
            identityMetadata: present & 4 != 0
                ? IdentityMetadata(runBy: row[offset + 19], runAs: row[offset + 20], actingResource: row[offset + 21])
                : nil
        )
        return StoredEvent(seq: seq, event: event, receivedMillis: row[offset + 23])
    }
}
