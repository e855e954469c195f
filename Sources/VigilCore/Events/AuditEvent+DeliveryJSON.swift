/// The delivery-file shape (reference databricks.md §2): what Databricks writes to S3 and what Vigil's own
/// delivery writes, one object per line.
extension AuditEvent {
    /// Writes the event as one camelCase object: `version`, `auditLevel`, `timestamp` (epoch milliseconds),
    /// `orgId` (the workspace), `accountId`, the request fields, `response{statusCode, errorMessage, result}`,
    /// then `eventId` and `identityMetadata`, which Databricks' files lack but Vigil's ingest reads back, so a
    /// delivered file re-imports as the same events (same ids, same canonical bytes, same ledger leaves).
    ///
    /// Absent values are left out, as in Databricks' files; a present struct whose fields are all absent is `{}`.
    public func writeDeliveryJSON(into writer: inout JSONWriter) {
        writer.beginObject()
        var first = true
        func member(_ key: String, _ value: String?) {
            guard let value else { return }
            separate()
            writer.key(key)
            writer.string(value)
        }
        func separate() {
            if !first { writer.comma() }
            first = false
        }
        member("version", version)
        member("auditLevel", auditLevel)
        separate()
        writer.key("timestamp"); writer.integer(eventTimeMillis)
        member("orgId", workspaceID)
        member("accountId", accountID)
        member("sourceIPAddress", sourceIPAddress)
        member("userAgent", userAgent)
        member("sessionId", sessionID)
        if let userIdentity {
            separate()
            writer.key("userIdentity")
            writeStruct(into: &writer, [("email", userIdentity.email), ("subjectName", userIdentity.subjectName)])
        }
        member("serviceName", serviceName)
        member("actionName", actionName)
        member("requestId", requestID)
        if requestParams != nil {
            separate()
            writer.key("requestParams")
            writeRequestParams(into: &writer)
        }
        if let response {
            separate()
            writer.key("response")
            writer.beginObject()
            var inner = true
            if let code = response.statusCode {
                writer.key("statusCode"); writer.integer(code)
                inner = false
            }
            for (key, value) in [("errorMessage", response.errorMessage), ("result", response.result)] {
                guard let value else { continue }
                if !inner { writer.comma() }
                inner = false
                writer.key(key); writer.string(value)
            }
            writer.endObject()
        }
        member("eventId", eventID)
        if let identityMetadata {
            separate()
            writer.key("identityMetadata")
            writeStruct(into: &writer, [("runBy", identityMetadata.runBy), ("runAs", identityMetadata.runAs),
                                        ("actingResource", identityMetadata.actingResource)])
        }
        writer.endObject()
    }

    private func writeStruct(into writer: inout JSONWriter, _ fields: [(String, String?)]) {
        writer.beginObject()
        var first = true
        for (key, value) in fields {
            guard let value else { continue }
            if !first { writer.comma() }
            first = false
            writer.key(key); writer.string(value)
        }
        writer.endObject()
    }
}
