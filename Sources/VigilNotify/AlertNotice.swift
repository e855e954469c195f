import Foundation
import Crypto
import VigilCore

/// What one notification says about one alert: that it fired or resolved. The outbox keeps it as JSON, so a
/// notification says what was true when it was queued even if the alert changes later; each destination kind
/// renders it its own way (`NoticeRendering`).
public struct AlertNotice: Sendable, Equatable {
    public enum Status: String, Sendable { case firing, resolved }

    public struct Label: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var status: Status
    public var alertID: Int64
    public var ruleID: String
    public var title: String
    public var level: String
    public var workspaceID: String?
    /// The correlation's group-by values (`source_ip_address` → `198.51.100.7`), in the rule's order.
    public var group: [Label]
    public var count: Int
    /// The first events that raised it (at most `maxEventIDs`).
    public var eventIDs: [String]
    public var startsMillis: Int64
    /// When it resolved; for a firing notice, when it will resolve unless it fires again (Alertmanager's `endsAt`).
    public var endsMillis: Int64?
    /// Where a reader finds the alert (`generatorURL`).
    public var link: String

    public static let maxEventIDs = 10

    public init(status: Status, alertID: Int64, ruleID: String, title: String, level: String, workspaceID: String?, group: [Label],
                count: Int, eventIDs: [String], startsMillis: Int64, endsMillis: Int64?, link: String) {
        self.status = status
        self.alertID = alertID
        self.ruleID = ruleID
        self.title = title
        self.level = level
        self.workspaceID = workspaceID
        self.group = group
        self.count = count
        self.eventIDs = Array(eventIDs.prefix(Self.maxEventIDs))
        self.startsMillis = startsMillis
        self.endsMillis = endsMillis
        self.link = link
    }

    /// Alertmanager labels, the alert's identity: `alertname` is the rule id, then severity, the alert id, the
    /// workspace and the group-by values under names Alertmanager accepts (`user_identity.email` becomes
    /// `user_identity_email`).
    public var labels: [Label] {
        var labels = [Label("alertname", ruleID), Label("severity", level), Label("vigil_alert_id", String(alertID))]
        if let workspaceID { labels.append(Label("workspace_id", workspaceID)) }
        for value in group {
            let name = Self.labelName(value.name)
            if !labels.contains(where: { $0.name == name }) { labels.append(Label(name, value.value)) }
        }
        return labels
    }

    public var annotations: [Label] {
        var annotations = [Label("summary", title), Label("description", summary)]
        if !eventIDs.isEmpty { annotations.append(Label("event_ids", eventIDs.joined(separator: ","))) }
        return annotations
    }

    /// One line for people: "5 events, source_ip_address=198.51.100.7".
    public var summary: String {
        var parts = ["\(count) event\(count == 1 ? "" : "s")"]
        parts += group.map { "\($0.name)=\($0.value)" }
        return parts.joined(separator: ", ")
    }

    /// Alertmanager's fingerprint role: 16 hex digits of a hash of the sorted labels.
    public var fingerprint: String {
        var text = ""
        for label in labels.sorted(by: { $0.name < $1.name }) { text += label.name + "\u{FF}" + label.value + "\u{FF}" }
        return SHA256.hash(data: Array(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// A label name Alertmanager 0.25 accepts: `[a-zA-Z_][a-zA-Z0-9_]*`.
    static func labelName(_ field: String) -> String {
        var name = String(field.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) ? Character(scalar) : "_"
        })
        if name.first.map({ ("0"..."9").contains($0) }) ?? true { name = "_" + name }
        return name
    }

    // MARK: Stored form

    public var json: JSONValue {
        .object([
            JSONMember("status", .string(status.rawValue)), JSONMember("alert_id", .number(String(alertID))),
            JSONMember("rule_id", .string(ruleID)), JSONMember("title", .string(title)), JSONMember("level", .string(level)),
            JSONMember("workspace_id", workspaceID.map(JSONValue.string) ?? .null),
            JSONMember("group", .array(group.map { .object([JSONMember("name", .string($0.name)), JSONMember("value", .string($0.value))]) })),
            JSONMember("count", .number(String(count))), JSONMember("event_ids", .array(eventIDs.map(JSONValue.string))),
            JSONMember("starts", .number(String(startsMillis))), JSONMember("ends", endsMillis.map { .number(String($0)) } ?? .null),
            JSONMember("link", .string(link)),
        ])
    }

    public init?(json value: JSONValue) {
        func string(_ key: String) -> String? { if case .string(let text)? = value[key] { text } else { nil } }
        func integer(_ key: String) -> Int64? { if case .number(let text)? = value[key] { Int64(text) } else { nil } }
        guard let status = string("status").flatMap(Status.init(rawValue:)), let alertID = integer("alert_id"), let ruleID = string("rule_id"),
              let title = string("title"), let level = string("level"), let count = integer("count"), let starts = integer("starts"),
              let link = string("link")
        else { return nil }
        var group: [Label] = []
        if case .array(let items)? = value["group"] {
            for item in items {
                if case .string(let name)? = item["name"], case .string(let text)? = item["value"] { group.append(Label(name, text)) }
            }
        }
        var ids: [String] = []
        if case .array(let items)? = value["event_ids"] {
            ids = items.compactMap { if case .string(let id) = $0 { id } else { nil } }
        }
        self.init(status: status, alertID: alertID, ruleID: ruleID, title: title, level: level, workspaceID: string("workspace_id"),
                  group: group, count: Int(count), eventIDs: ids, startsMillis: starts, endsMillis: integer("ends"), link: link)
    }
}
