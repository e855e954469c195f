import Logging

/// The security events of the convention (docs/app-logging.md), as the Databricks Apps logging page asks apps to
/// record them: authentication and authorization decisions with the user and the outcome, data access with
/// catalog, schema and table, and security errors. Each is one JSON line with `event` naming its kind, so a
/// security team finds them with `fields['event'] = 'authorization' AND fields['outcome'] = 'denied'`.
extension Logger {
    public enum Outcome: String, Sendable {
        case success, failure, allowed, denied
    }

    /// A sign-in attempt: who, how, and whether it worked (`failure` is logged at warning).
    public func authentication(user: String, outcome: Outcome, method: String? = nil, reason: String? = nil,
                               sourceIP: String? = nil, file: String = #fileID, function: String = #function, line: UInt = #line) {
        var metadata: Metadata = ["event": "authentication", "user": .string(user), "outcome": .string(outcome.rawValue)]
        metadata["method"] = method.map(Metadata.Value.string)
        metadata["reason"] = reason.map(Metadata.Value.string)
        metadata["source_ip"] = sourceIP.map(Metadata.Value.string)
        log(level: outcome == .success || outcome == .allowed ? .info : .warning, "authentication \(outcome.rawValue)",
            metadata: metadata, file: file, function: function, line: line)
    }

    /// An access decision: who wanted to do what to which resource, and whether it was allowed.
    public func authorization(user: String, action: String, resource: String, outcome: Outcome, reason: String? = nil,
                              file: String = #fileID, function: String = #function, line: UInt = #line) {
        var metadata: Metadata = [
            "event": "authorization", "user": .string(user), "action": .string(action), "resource": .string(resource),
            "outcome": .string(outcome.rawValue),
        ]
        metadata["reason"] = reason.map(Metadata.Value.string)
        log(level: outcome == .denied || outcome == .failure ? .warning : .info, "authorization \(outcome.rawValue)",
            metadata: metadata, file: file, function: function, line: line)
    }

    /// A read or write of data: which table (catalog.schema.table) and what was done with it.
    public func dataAccess(user: String, catalog: String, schema: String, table: String, operation: String, rows: Int? = nil,
                           file: String = #fileID, function: String = #function, line: UInt = #line) {
        var metadata: Metadata = [
            "event": "data_access", "user": .string(user), "catalog": .string(catalog), "schema": .string(schema),
            "table": .string(table), "operation": .string(operation),
        ]
        metadata["rows"] = rows.map { .stringConvertible($0) }
        log(level: .info, "data access", metadata: metadata, file: file, function: function, line: line)
    }

    /// A security error: an invalid or expired token, a permission denied, a failed signature check.
    public func securityError(_ error: String, user: String? = nil, detail: String? = nil,
                              file: String = #fileID, function: String = #function, line: UInt = #line) {
        var metadata: Metadata = ["event": "security_error", "error": .string(error)]
        metadata["user"] = user.map(Metadata.Value.string)
        metadata["detail"] = detail.map(Metadata.Value.string)
        log(level: .error, "security error: \(error)", metadata: metadata, file: file, function: function, line: line)
    }
}
