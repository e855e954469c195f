import Foundation
import VigilCore

/// How each destination kind says a notice: pure, so the wire shapes are tested without a network.
public enum NoticeRendering {
    /// Alertmanager's own "still firing" `endsAt`, which webhook receivers written for Alertmanager expect.
    static let zeroTime = "0001-01-01T00:00:00Z"

    static func alertObject(_ notice: AlertNotice, webhook: Bool) -> JSONValue {
        var members = [
            JSONMember("labels", .object(notice.labels.map { JSONMember($0.name, .string($0.value)) })),
            JSONMember("annotations", .object(notice.annotations.map { JSONMember($0.name, .string($0.value)) })),
            JSONMember("startsAt", .string(Timestamp.formatRFC3339(millis: notice.startsMillis))),
        ]
        if webhook {
            let ends = notice.status == .resolved ? notice.endsMillis.map { Timestamp.formatRFC3339(millis: $0) } ?? zeroTime : zeroTime
            members.insert(JSONMember("status", .string(notice.status.rawValue)), at: 0)
            members.append(JSONMember("endsAt", .string(ends)))
            members.append(JSONMember("generatorURL", .string(notice.link)))
            members.append(JSONMember("fingerprint", .string(notice.fingerprint)))
        } else {
            if let ends = notice.endsMillis { members.append(JSONMember("endsAt", .string(Timestamp.formatRFC3339(millis: ends)))) }
            members.append(JSONMember("generatorURL", .string(notice.link)))
        }
        return .object(members)
    }

    /// The body of `POST /api/v2/alerts`: postableAlerts. A resolved notice carries its past `endsAt`, which is how
    /// Alertmanager is told an alert resolved; a firing one carries when it will resolve unless re-sent.
    public static func alertmanager(_ notices: [AlertNotice]) -> [UInt8] {
        Array(JSONWriter.text(of: .array(notices.map { alertObject($0, webhook: false) })).utf8)
    }

    /// A generic webhook's body: Alertmanager's webhook payload (version 4) for one group's notices, so receivers
    /// written for Alertmanager read it unchanged. The message is `firing` while any of its alerts fires.
    public static func webhook(_ notices: [AlertNotice], grouping: NotificationGrouping = .init(), receiver: String, externalURL: String) -> [UInt8] {
        let first = notices.first
        let groupLabels = first.map(grouping.labels) ?? []
        let body = JSONValue.object([
            JSONMember("version", .string("4")),
            JSONMember("groupKey", .string(first.map(grouping.key) ?? "{}:{}")),
            JSONMember("truncatedAlerts", .number("0")),
            JSONMember("status", .string(status(notices).rawValue)),
            JSONMember("receiver", .string(receiver)),
            JSONMember("groupLabels", .object(groupLabels.map { JSONMember($0.name, .string($0.value)) })),
            JSONMember("commonLabels", .object(common(notices.map(\.labels)).map { JSONMember($0.name, .string($0.value)) })),
            JSONMember("commonAnnotations", .object(common(notices.map(\.annotations)).map { JSONMember($0.name, .string($0.value)) })),
            JSONMember("externalURL", .string(externalURL)),
            JSONMember("alerts", .array(notices.map { alertObject($0, webhook: true) })),
        ])
        return Array(JSONWriter.text(of: body).utf8)
    }

    /// A Slack message: `text` (the notification's fallback) in Slack's mrkdwn, with `&`, `<` and `>` escaped as
    /// Slack requires so an event's values cannot make links or mentions. A group's alerts follow one headline.
    public static func slack(_ notices: [AlertNotice]) -> [UInt8] {
        var lines: [String] = []
        if notices.count > 1 {
            let firing = notices.filter { $0.status == .firing }.count
            lines.append("\(firing > 0 ? ":rotating_light: FIRING" : ":white_check_mark: RESOLVED") \(notices.count) alerts"
                         + (firing > 0 && firing < notices.count ? " (\(firing) firing, \(notices.count - firing) resolved)" : ""))
        }
        for notice in notices {
            let headline = "\(notice.status == .firing ? ":rotating_light: FIRING" : ":white_check_mark: RESOLVED") [\(slackEscape(notice.level))] *\(slackEscape(notice.title))*"
            lines += [headline, slackEscape(notice.summary), "rule `\(slackEscape(notice.ruleID))`, alert \(notice.alertID), since \(Timestamp.formatRFC3339(millis: notice.startsMillis))"]
            if notice.status == .resolved, let ends = notice.endsMillis { lines.append("resolved \(Timestamp.formatRFC3339(millis: ends))") }
            lines.append("<\(slackEscape(notice.link))|alert \(notice.alertID)>")
        }
        return Array(JSONWriter.text(of: .object([JSONMember("text", .string(lines.joined(separator: "\n")))])).utf8)
    }

    /// A mail's subject and plain-text body, one block per alert of the group. Header values lose line breaks (no
    /// header injection); the body's lines are the caller's to dot-stuff.
    public static func email(_ notices: [AlertNotice]) -> (subject: String, body: String) {
        let subject: String
        if notices.count == 1, let notice = notices.first {
            subject = headerSafe("[Vigil] \(notice.status == .firing ? "FIRING" : "RESOLVED") \(notice.level): \(notice.title)")
        } else {
            let firing = notices.filter { $0.status == .firing }.count
            subject = headerSafe("[Vigil] \(firing > 0 ? "FIRING:\(firing)" : "RESOLVED") \(notices.count) alerts: "
                                 + Array(Set(notices.map(\.title))).sorted().joined(separator: ", "))
        }
        var lines: [String] = []
        for notice in notices {
            if !lines.isEmpty { lines += ["", "----", ""] }
            lines += [
                "\(notice.title) (\(notice.status.rawValue))", "",
                "Rule:      \(notice.ruleID)", "Level:     \(notice.level)", "Alert:     \(notice.alertID)",
                "Since:     \(Timestamp.formatRFC3339(millis: notice.startsMillis))",
            ]
            if notice.status == .resolved, let ends = notice.endsMillis { lines.append("Resolved:  \(Timestamp.formatRFC3339(millis: ends))") }
            if let workspace = notice.workspaceID { lines.append("Workspace: \(workspace)") }
            lines.append("Events:    \(notice.count)")
            for value in notice.group { lines.append("  \(value.name) = \(value.value)") }
            if !notice.eventIDs.isEmpty { lines.append("Event ids: \(notice.eventIDs.joined(separator: ", "))") }
            lines += ["", notice.link]
        }
        // SMTP lines stop at 1,000 octets: a long line is wrapped, never cut (an event's value may be long).
        return (subject.count > maxSubject ? String(subject.prefix(maxSubject - 1)) + "…" : subject,
                lines.flatMap { wrap($0, bytes: 900) }.joined(separator: "\r\n"))
    }

    /// Characters in a subject; longer titles end in "…" (the body has them whole).
    static let maxSubject = 150

    /// `line` in pieces of at most `bytes` UTF-8 bytes, split between characters.
    static func wrap(_ line: String, bytes: Int) -> [String] {
        guard line.utf8.count > bytes else { return [line] }
        var pieces: [String] = []
        var current = ""
        var size = 0
        for character in line {
            let width = character.utf8.count
            if size + width > bytes, !current.isEmpty {
                pieces.append(current)
                current = ""
                size = 0
            }
            current.append(character)
            size += width
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Firing while any alert of the message fires (Alertmanager's rule).
    static func status(_ notices: [AlertNotice]) -> AlertNotice.Status {
        notices.contains { $0.status == .firing } ? .firing : .resolved
    }

    /// The name-value pairs every list shares, in the first list's order (`commonLabels`, `commonAnnotations`).
    static func common(_ lists: [[AlertNotice.Label]]) -> [AlertNotice.Label] {
        guard let first = lists.first else { return [] }
        return first.filter { label in lists.dropFirst().allSatisfy { $0.contains(label) } }
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    public static func slackEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func headerSafe(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
    }
}
