import VigilCore

/// Turns sshd and sudo authentication lines (reference interop-formats.md §7) into audit events, `accounts`-style:
/// service `accounts`, action `sshLogin` or `sudo`, the user, the source address, and the outcome as the response
/// status (200 success, 401 a failed authentication, 403 refused by policy). Pure. Any other line is nil (a host
/// log line).
///
/// The user name is attacker-controlled and may itself contain ` from <ip> port <n>`: sshd lines are anchored on
/// the *last* ` from <ip> port <n>`.
public enum AuthLogParser {
    public static func event(_ message: SyslogMessage, workspaceID: String?) -> AuditEvent? {
        guard let app = message.appName else { return nil }
        switch app {
        case "sshd", "sshd-session": return ssh(message, workspaceID: workspaceID)
        case "sudo": return sudo(message, workspaceID: workspaceID)
        default: return nil
        }
    }

    static func ssh(_ message: SyslogMessage, workspaceID: String?) -> AuditEvent? {
        let text = message.message
        var outcome: (status: Int32, method: String?, user: String, invalid: Bool)?
        var remainder: Substring = ""
        for (prefix, status) in [("Accepted ", Int32(200)), ("Failed ", Int32(401))] where text.hasPrefix(prefix) {
            // "<method> for [invalid user ]<user> from <ip> port <n> ssh2[: extra]"
            let body = text.dropFirst(prefix.count)
            guard let forRange = body.range(of: " for ") else { return nil }
            let method = String(body[..<forRange.lowerBound])
            guard let (user, rest) = userAndAddress(body[forRange.upperBound...]) else { return nil }
            let invalid = user.hasPrefix("invalid user ")
            outcome = (status, method, invalid ? String(user.dropFirst("invalid user ".count)) : user, invalid)
            remainder = rest
        }
        if outcome == nil, text.hasPrefix("Invalid user ") {
            guard let (user, rest) = userAndAddress(text.dropFirst("Invalid user ".count)) else { return nil }
            outcome = (401, nil, user, true)
            remainder = rest
        }
        guard let outcome, let (ip, port) = address(remainder) else { return nil }
        var params: [(String, String)] = [("program", message.appName ?? "sshd"), ("port", port)]
        if let method = outcome.method { params.append(("method", method)) }
        if let host = message.hostname { params.append(("host", host)) }
        if outcome.invalid { params.append(("invalid_user", "true")) }
        return event(message, action: "sshLogin", user: outcome.user, sourceIP: ip, status: outcome.status,
                     error: outcome.status == 200 ? nil : (outcome.invalid ? "invalid user" : "authentication failed"), params: params,
                     workspaceID: workspaceID, runAs: nil)
    }

    /// Splits `<user> from <ip> port <n>…` at the last ` from `, so a user name holding ` from … port …` stays the user's.
    static func userAndAddress(_ text: Substring) -> (String, Substring)? {
        guard let from = text.range(of: " from ", options: .backwards) else { return nil }
        return (String(text[..<from.lowerBound]), text[from.upperBound...])
    }

    /// `<ip> port <n>` at the start of `text`.
    static func address(_ text: Substring) -> (String, String)? {
        let words = text.split(separator: " ", maxSplits: 3)
        guard words.count >= 3, words[1] == "port", let port = Int(words[2].prefix { $0.isNumber }), isAddress(words[0]) else { return nil }
        return (String(words[0]), String(port))
    }

    static func isAddress(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isHexDigit || $0 == "." || $0 == ":" }
    }

    static func sudo(_ message: SyslogMessage, workspaceID: String?) -> AuditEvent? {
        // "<user right-aligned in 8> : [reason ; ]TTY=… ; PWD=… ; USER=… ; COMMAND=…"
        let text = message.message
        guard let separator = text.range(of: " : ") else { return nil }
        let user = text[..<separator.lowerBound].trimmingCharacters(in: .whitespaces)
        guard !user.isEmpty, !user.contains(" ") else { return nil }
        // sudo writes the command's arguments as they are, so they may hold " ; KEY=…" themselves: COMMAND is the
        // rest of the line after the first " ; COMMAND=" (or a leading "COMMAND="), the reason is only what comes
        // before the first known key, and each other key's value is its last occurrence before COMMAND (USER comes
        // after PWD, so a directory name holding " ; USER=…" does not decide it).
        let body = text[separator.upperBound...]
        let commandStart: Range<Substring.Index>
        if body.hasPrefix("COMMAND=") {
            commandStart = body.startIndex..<body.index(body.startIndex, offsetBy: "COMMAND=".count)
        } else if let found = body.range(of: " ; COMMAND=") {
            commandStart = found
        } else {
            return nil
        }
        let command = String(body[commandStart.upperBound...])
        let keys: Set<String> = ["HOST", "TTY", "CHROOT", "PWD", "USER", "GROUP", "TSID", "ENV"]
        var reason: String?
        var fields: [String: String] = [:]
        var seenKey = false
        for part in body[..<commandStart.lowerBound].components(separatedBy: " ; ") where !part.isEmpty {
            if let equals = part.firstIndex(of: "="), keys.contains(String(part[..<equals])) {
                seenKey = true
                fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
            } else if !seenKey {
                reason = reason.map { $0 + " ; " + part } ?? part
            }
        }
        let status: Int32
        switch reason {
        case nil: status = 200
        case let text? where text.contains("incorrect password"): status = 401
        default: status = 403
        }
        var params: [(String, String)] = [("program", "sudo"), ("command", command)]
        for key in ["TTY", "PWD", "USER", "HOST"] { if let value = fields[key] { params.append((key.lowercased(), value)) } }
        if let host = message.hostname, fields["HOST"] == nil { params.append(("host", host)) }
        return event(message, action: "sudo", user: user, sourceIP: nil, status: status, error: reason, params: params,
                     workspaceID: workspaceID, runAs: fields["USER"])
    }

    static func event(_ message: SyslogMessage, action: String, user: String, sourceIP: String?, status: Int32, error: String?,
                      params: [(String, String)], workspaceID: String?, runAs: String?) -> AuditEvent {
        AuditEvent(
            workspaceID: workspaceID, eventTimeMillis: message.timestampMillis, sourceIPAddress: sourceIP, userIdentity: UserIdentity(email: user),
            serviceName: "accounts", actionName: action,
            requestParams: params.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) },
            response: EventResponse(statusCode: status, errorMessage: error), auditLevel: "WORKSPACE_LEVEL", eventID: "",
            identityMetadata: runAs.map { IdentityMetadata(runBy: user, runAs: $0) }).withDerivedEventIDIfMissing()
    }
}
