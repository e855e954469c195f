import Foundation
import VigilCore

/// Where notifications go, in the shape of the Databricks Notification Destinations API: a `config` holding exactly
/// one of `generic_webhook`, `slack` or `email`, plus Vigil's own `alertmanager`. URLs, user names, passwords and
/// signing secrets are input-only: answers say only whether each is set (`url_set`), as Databricks does.
public struct Destination: Sendable, Equatable {
    public var id: String
    public var displayName: String
    public var config: DestinationConfig
    public var createdBy: String
    public var createdMillis: Int64
    public var updatedBy: String
    public var updatedMillis: Int64

    public init(id: String, displayName: String, config: DestinationConfig, createdBy: String, createdMillis: Int64,
                updatedBy: String, updatedMillis: Int64) {
        self.id = id
        self.displayName = displayName
        self.config = config
        self.createdBy = createdBy
        self.createdMillis = createdMillis
        self.updatedBy = updatedBy
        self.updatedMillis = updatedMillis
    }

    /// The answer's JSON; `config` only for callers allowed to see it (Databricks: workspace admins).
    public func json(withConfig: Bool) -> JSONValue {
        var members = [
            JSONMember("id", .string(id)), JSONMember("display_name", .string(displayName)),
            JSONMember("destination_type", .string(config.type.rawValue)),
        ]
        if withConfig { members.append(JSONMember("config", config.publicJSON)) }
        return .object(members)
    }
}

/// `destination_type`: Databricks' names, and ALERTMANAGER for Vigil's Alertmanager destination.
public enum DestinationType: String, Sendable, CaseIterable {
    case webhook = "WEBHOOK"
    case slack = "SLACK"
    case email = "EMAIL"
    case alertmanager = "ALERTMANAGER"

    /// The key of this type's object inside `config`.
    public var configKey: String {
        switch self {
        case .webhook: "generic_webhook"
        case .slack: "slack"
        case .email: "email"
        case .alertmanager: "alertmanager"
        }
    }
}

public enum DestinationConfig: Sendable, Equatable {
    /// Posts the Alertmanager webhook payload (version 4), with basic auth when a user name is set and an
    /// `X-Vigil-Signature` HMAC-SHA256 header when a signing secret is set.
    case webhook(url: String, username: String?, password: String?, signingSecret: String?)
    /// A Slack incoming webhook.
    case slack(url: String)
    /// Mail through the server's SMTP relay (`--smtp-server`).
    case email(addresses: [String])
    /// An Alertmanager: alerts are posted to `<url>/api/v2/alerts`, firing and resolved.
    case alertmanager(url: String)

    public var type: DestinationType {
        switch self {
        case .webhook: .webhook
        case .slack: .slack
        case .email: .email
        case .alertmanager: .alertmanager
        }
    }

    /// What an answer shows: whether each input-only value is set, and email addresses as given.
    public var publicJSON: JSONValue {
        let inner: [JSONMember]
        switch self {
        case .webhook(let url, let username, let password, let secret):
            inner = [JSONMember("url_set", .bool(!url.isEmpty)), JSONMember("username_set", .bool(!(username ?? "").isEmpty)),
                     JSONMember("password_set", .bool(!(password ?? "").isEmpty)), JSONMember("signing_secret_set", .bool(!(secret ?? "").isEmpty))]
        case .slack(let url):
            inner = [JSONMember("url_set", .bool(!url.isEmpty)), JSONMember("channel_id_set", .bool(false)), JSONMember("oauth_token_set", .bool(false))]
        case .email(let addresses):
            inner = [JSONMember("addresses", .array(addresses.map(JSONValue.string)))]
        case .alertmanager(let url):
            inner = [JSONMember("url_set", .bool(!url.isEmpty))]
        }
        return .object([JSONMember(type.configKey, .object(inner))])
    }

    /// Everything, secrets included, as the database keeps it.
    public var storedJSON: JSONValue {
        func optional(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        switch self {
        case .webhook(let url, let username, let password, let secret):
            return .object([JSONMember("generic_webhook", .object([
                JSONMember("url", .string(url)), JSONMember("username", optional(username)), JSONMember("password", optional(password)),
                JSONMember("signing_secret", optional(secret)),
            ]))])
        case .slack(let url):
            return .object([JSONMember("slack", .object([JSONMember("url", .string(url))]))])
        case .email(let addresses):
            return .object([JSONMember("email", .object([JSONMember("addresses", .array(addresses.map(JSONValue.string)))]))])
        case .alertmanager(let url):
            return .object([JSONMember("alertmanager", .object([JSONMember("url", .string(url))]))])
        }
    }
}
