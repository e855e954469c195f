/// The table shape on the wire, and the canonical encoding that identifies an event's content.
extension AuditEvent {
    /// Column names of `system.access.audit`, in the DDL's order.
    public static let columnNames = [
        "account_id", "workspace_id", "version", "event_time", "event_date", "source_ip_address", "user_agent",
        "session_id", "user_identity", "service_name", "action_name", "request_id", "request_params", "response",
        "audit_level", "event_id", "identity_metadata",
    ]

    /// Writes the event as one JSON object in the table shape: every column present (null when absent),
    /// in DDL order, structs with snake_case fields, `event_time` as RFC 3339 UTC with milliseconds.
    ///
    /// This is also the **canonical encoding** (see docs/ingest.md): compact, UTF-8, fixed member order,
    /// `request_params` keys sorted by UTF-8 bytes. `extra` members are appended after the columns.
    public func writeTableJSON(into writer: inout JSONWriter, extra: (inout JSONWriter) -> Void = { _ in }) {
        writer.beginObject()
        writer.key("account_id"); writer.string(accountID); writer.comma()
        writer.key("workspace_id"); writer.string(workspaceID); writer.comma()
        writer.key("version"); writer.string(version); writer.comma()
        writer.key("event_time"); writer.timestamp(millis: eventTimeMillis); writer.comma()
        writer.key("event_date"); writer.date(millis: eventTimeMillis); writer.comma()
        writer.key("source_ip_address"); writer.string(sourceIPAddress); writer.comma()
        writer.key("user_agent"); writer.string(userAgent); writer.comma()
        writer.key("session_id"); writer.string(sessionID); writer.comma()
        writer.key("user_identity")
        if let userIdentity {
            writer.beginObject()
            writer.key("email"); writer.string(userIdentity.email); writer.comma()
            writer.key("subject_name"); writer.string(userIdentity.subjectName)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.comma()
        writer.key("service_name"); writer.string(serviceName); writer.comma()
        writer.key("action_name"); writer.string(actionName); writer.comma()
        writer.key("request_id"); writer.string(requestID); writer.comma()
        writer.key("request_params"); writeRequestParams(into: &writer); writer.comma()
        writer.key("response")
        if let response {
            writer.beginObject()
            writer.key("status_code")
            if let code = response.statusCode { writer.integer(code) } else { writer.null() }
            writer.comma()
            writer.key("error_message"); writer.string(response.errorMessage); writer.comma()
            writer.key("result"); writer.string(response.result)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.comma()
        writer.key("audit_level"); writer.string(auditLevel); writer.comma()
        writer.key("event_id"); writer.string(eventID); writer.comma()
        writer.key("identity_metadata")
        if let identityMetadata {
            writer.beginObject()
            writer.key("run_by"); writer.string(identityMetadata.runBy); writer.comma()
            writer.key("run_as"); writer.string(identityMetadata.runAs); writer.comma()
            writer.key("acting_resource"); writer.string(identityMetadata.actingResource)
            writer.endObject()
        } else {
            writer.null()
        }
        extra(&writer)
        writer.endObject()
    }

    /// The canonical bytes of this event (the table-shape JSON, see `writeTableJSON`).
    public func canonicalBytes() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 512)
        writeTableJSON(into: &writer)
        return writer.bytes
    }

    /// `request_params` as its stored JSON text (an object of strings), or nil.
    public var requestParamsJSON: String? {
        guard requestParams != nil else { return nil }
        var writer = JSONWriter()
        writeRequestParams(into: &writer)
        return writer.string
    }

    /// `request_params` as a JSON object of strings in stored (sorted) key order, or `null` (both file shapes).
    func writeRequestParams(into writer: inout JSONWriter) {
        guard let requestParams else { return writer.null() }
        writer.beginObject()
        for (position, pair) in requestParams.enumerated() {
            if position > 0 { writer.comma() }
            writer.key(pair.key)
            writer.string(pair.value)
        }
        writer.endObject()
    }
}
