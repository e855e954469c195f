import Foundation
import VigilCore
import Yams

/// `notifications:`: the defaults alert notifications use, as the `--notify-*` and `--smtp-*` flags set them. A
/// flag or its `VIGIL_*` variable, when given, wins over the file's value (`vigil serve` merges them).
///
/// ```yaml
/// notifications:
///   defaults: {high: [oncall-slack], critical: [oncall-slack, pager]}   # --notify-default LEVEL=DEST,…
///   group_by: [alertname]                                               # --notify-group-by
///   group_wait: 30s                                                     # --notify-group-wait, and so on
///   smtp: {server: "smtp.internal:587", tls: starttls, username: vigil, password: "${VIGIL_SMTP_PASSWORD}"}
/// ```
public struct NotificationsSection: Sendable, Equatable {
    /// Level → destination ids or names, for rules without a `notify:` list.
    public var defaults: [String: [String]] = [:]
    /// Label names joined by `,`, or `...` (each alert alone).
    public var groupBy: String?
    /// `0` or a duration (`30s`, `5m`), as the flags take them.
    public var groupWait: String?
    public var groupInterval: String?
    public var repeatInterval: String?
    public var smtp = SMTP()

    public struct SMTP: Sendable, Equatable {
        public var server: String?
        /// none, auto, starttls or tls.
        public var tls: String?
        public var username: String?
        /// Give it as `${NAME}`: the file then never holds it.
        public var password: String?
        public var caCertificate: String?
        public var from: String?
        public init() {}
    }

    public init() {}

    public static let levels = ["informational", "low", "medium", "high", "critical"]
    static let tlsModes = ["none", "auto", "starttls", "tls"]
}

extension ConfigReader {
    mutating func notifications(_ node: Node) -> NotificationsSection {
        var section = NotificationsSection()
        for (key, value) in members(node, "notifications") {
            let field = "notifications.\(key)"
            switch key {
            case "defaults":
                for (level, destinations) in members(value, field) {
                    guard NotificationsSection.levels.contains(level) else {
                        fail(destinations, "\(field).\(level)", "is not a level (want \(NotificationsSection.levels.joined(separator: ", ")))")
                        continue
                    }
                    let names = (list(destinations, "\(field).\(level)") ?? []).filter { !$0.isEmpty }
                    if names.isEmpty { fail(destinations, "\(field).\(level)", "names no destination") } else { section.defaults[level] = names }
                }
            case "group_by":
                let names = list(value, field) ?? []
                if names.isEmpty { fail(value, field, "want label names such as [alertname, severity], or '...'") } else {
                    section.groupBy = names.joined(separator: ",")
                }
            case "group_wait", "group_interval", "repeat_interval":
                guard let text = string(value, field) else { continue }
                // The flags' spelling, checked by the same parser (a bare number or ms would pass here and fail there).
                guard text == "0" || RetentionPeriod.millis(text) != nil else {
                    fail(value, field, "want 0 or a number with s, m, h or d, such as 30s, 5m or 4h")
                    continue
                }
                switch key {
                case "group_wait": section.groupWait = text
                case "group_interval": section.groupInterval = text
                default: section.repeatInterval = text
                }
            case "smtp":
                for (smtpKey, smtpValue) in members(value, field) {
                    let smtpField = "\(field).\(smtpKey)"
                    let text = string(smtpValue, smtpField)
                    switch smtpKey {
                    case "server": section.smtp.server = text
                    case "tls":
                        if let text, !NotificationsSection.tlsModes.contains(text) {
                            fail(smtpValue, smtpField, "want none, auto, starttls or tls")
                        } else {
                            section.smtp.tls = text
                        }
                    case "username": section.smtp.username = text
                    case "password": section.smtp.password = text
                    case "ca_cert":
                        if let text, !FileManager.default.isReadableFile(atPath: text) {
                            fail(smtpValue, smtpField, "\(text) is not a readable file")
                        } else {
                            section.smtp.caCertificate = text
                        }
                    case "from": section.smtp.from = text
                    default: fail(smtpValue, smtpField, "is not an smtp key (want server, tls, username, password, ca_cert, from)")
                    }
                }
            default:
                fail(value, field, "is not a notifications key (want defaults, group_by, group_wait, group_interval, repeat_interval, smtp)")
            }
        }
        return section
    }
}
