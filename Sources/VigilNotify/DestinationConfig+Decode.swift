import Foundation
import VigilCore

extension DestinationConfig {
    /// Destination kinds Databricks has that Vigil does not send to: refused by name, never ignored.
    static let unsupported = ["pagerduty", "microsoft_teams", "databricks_app_slack", "databricks_app_teams"]
    static let maxURLLength = 2048
    static let maxAddresses = 100

    /// Reads a request's `config`. With `existing` (an update) the fields given replace those kept and the rest
    /// stay, so a client that sends only a new password keeps the URL; the kind can never change.
    public static func decode(_ value: JSONValue, existing: DestinationConfig? = nil) throws -> DestinationConfig {
        guard case .object(let members) = value else {
            throw VigilError(.invalidParameter, "config must be an object holding one of generic_webhook, slack, email or alertmanager, not \(value.typeName)")
        }
        guard members.count == 1, let member = members.first else {
            throw VigilError(.invalidParameter, "config must hold exactly one of generic_webhook, slack, email or alertmanager; it holds \(members.count) keys")
        }
        if unsupported.contains(member.key) {
            throw VigilError(.invalidParameter, "config.\(member.key) is not supported by Vigil; use generic_webhook, slack, email or alertmanager")
        }
        guard let type = DestinationType.allCases.first(where: { $0.configKey == member.key }) else {
            throw VigilError(.invalidParameter, "config.\(member.key.prefix(64)) is not a destination kind; use generic_webhook, slack, email or alertmanager")
        }
        if let existing, existing.type != type {
            throw VigilError(.invalidParameter, "config.\(type.configKey): this destination is \(existing.type.configKey) and its kind cannot change; create a new destination")
        }
        guard case .object(let fields) = member.value else {
            throw VigilError(.invalidParameter, "config.\(type.configKey) must be an object, not \(member.value.typeName)")
        }
        let reader = FieldSet(prefix: "config.\(type.configKey)", fields: fields)
        switch type {
        case .webhook:
            try reader.allow(["url", "username", "password", "signing_secret"])
            var (url, username, password, secret): (String?, String?, String?, String?) = (nil, nil, nil, nil)
            if case .webhook(let oldURL, let oldUser, let oldPassword, let oldSecret)? = existing {
                (url, username, password, secret) = (oldURL, oldUser, oldPassword, oldSecret)
            }
            let newPassword = try reader.string("password"), newSecret = try reader.string("signing_secret")
            if let given = try reader.string("url") {
                let changed = try validURL(given, field: "\(reader.prefix).url")
                // Secrets are write-only: pointing the hook elsewhere must not send them to the new host unasked.
                if let old = url, old != changed, (!(password ?? "").isEmpty && newPassword == nil) || (!(secret ?? "").isEmpty && newSecret == nil) {
                    throw VigilError(.invalidParameter, "\(reader.prefix).url: a new URL needs its password and signing_secret sent again (or \"\" to drop them)")
                }
                url = changed
            }
            if let given = try reader.string("username") { username = try plain(given, field: "\(reader.prefix).username") }
            if let given = newPassword { password = given.isEmpty ? nil : given }
            if let given = newSecret { secret = given.isEmpty ? nil : given }
            guard let url else { throw VigilError(.invalidParameter, "\(reader.prefix).url is required") }
            if (username ?? "").isEmpty != (password ?? "").isEmpty {
                throw VigilError(.invalidParameter, "\(reader.prefix): basic auth needs both username and password")
            }
            return .webhook(url: url, username: username.flatMap { $0.isEmpty ? nil : $0 }, password: password, signingSecret: secret)
        case .slack:
            for field in ["channel_id", "oauth_token"] where fields.contains(where: { $0.key == field }) {
                throw VigilError(.invalidParameter, "\(reader.prefix).\(field) is not supported: Vigil posts to a Slack incoming webhook (\(reader.prefix).url)")
            }
            try reader.allow(["url"])
            var url: String?
            if case .slack(let old)? = existing { url = old }
            if let given = try reader.string("url") { url = try validURL(given, field: "\(reader.prefix).url") }
            guard let url else { throw VigilError(.invalidParameter, "\(reader.prefix).url is required") }
            return .slack(url: url)
        case .email:
            try reader.allow(["addresses"])
            guard let given = fields.first(where: { $0.key == "addresses" })?.value else {
                if case .email? = existing, let existing { return existing }
                throw VigilError(.invalidParameter, "\(reader.prefix).addresses is required")
            }
            guard case .array(let items) = given, !items.isEmpty else {
                throw VigilError(.invalidParameter, "\(reader.prefix).addresses must be a non-empty array of email addresses")
            }
            guard items.count <= maxAddresses else {
                throw VigilError(.invalidParameter, "\(reader.prefix).addresses holds \(items.count) addresses; the most is \(maxAddresses)")
            }
            let addresses = try items.enumerated().map { index, item -> String in
                guard case .string(let address) = item, EmailAddress.isValid(address) else {
                    throw VigilError(.invalidParameter, "\(reader.prefix).addresses[\(index)] is not an email address (name@domain, no spaces or angle brackets)")
                }
                return address
            }
            return .email(addresses: addresses)
        case .alertmanager:
            try reader.allow(["url"])
            var url: String?
            if case .alertmanager(let old)? = existing { url = old }
            if let given = try reader.string("url") { url = try validURL(given, field: "\(reader.prefix).url") }
            guard let url else { throw VigilError(.invalidParameter, "\(reader.prefix).url is required (the Alertmanager's base URL, e.g. http://127.0.0.1:9093)") }
            return .alertmanager(url: url)
        }
    }

    /// An absolute http or https URL with a host, as sent (a secret in its path stays unlogged).
    static func validURL(_ text: String, field: String) throws -> String {
        guard text.utf8.count <= maxURLLength else { throw VigilError(.invalidParameter, "\(field) is longer than \(maxURLLength) bytes") }
        guard !text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }),
              let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw VigilError(.invalidParameter, "\(field) must be an absolute http:// or https:// URL with a host")
        }
        return text
    }

    static func plain(_ text: String, field: String) throws -> String {
        guard text.utf8.count <= 256, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == ":" }) else {
            throw VigilError(.invalidParameter, "\(field) must be at most 256 bytes, without control characters or ':'")
        }
        return text
    }
}

/// The fields of one config object: unknown ones refused by name, output-only `*_set` flags skipped (a client may
/// send back what it read).
struct FieldSet {
    let prefix: String
    let fields: [JSONMember]

    func allow(_ names: Set<String>) throws {
        for field in fields where !names.contains(field.key) && !field.key.hasSuffix("_set") {
            throw VigilError(.invalidParameter, "\(prefix).\(field.key.prefix(64)) is not a field Vigil knows; expected \(names.sorted().joined(separator: ", "))")
        }
    }

    func string(_ name: String) throws -> String? {
        try JSONValue.object(fields).string(member: name, path: prefix + ".")
    }
}

/// The address forms an SMTP `RCPT TO` and a `To:` header can carry safely.
public enum EmailAddress {
    public static func isValid(_ text: String) -> Bool {
        guard text.utf8.count <= 254, let at = text.lastIndex(of: "@") else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !domain.isEmpty, domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix(".") else { return false }
        return !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7F || "<>(),;:\\\"[]".unicodeScalars.contains($0) }
            && domain.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "." }
            && local.filter { $0 == "@" }.isEmpty
    }
}
