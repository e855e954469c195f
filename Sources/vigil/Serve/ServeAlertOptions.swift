import ArgumentParser
import Foundation
import VigilCore
import VigilLogs
import VigilNotify
import VigilServer

/// `vigil serve`'s settings for alerts: the SMTP relay email destinations use, the destinations each rule level
/// notifies when its rule names none, and when a detection alert resolves.
struct ServeAlertOptions: ParsableArguments {
    @Option(name: .customLong("smtp-server"), help: "The SMTP relay for email destinations, host or host:port (env VIGIL_SMTP_SERVER; port 25, 465 with --smtp-tls tls).")
    var smtpServerOption: String?

    @Option(name: .customLong("smtp-tls"), help: "none, auto (STARTTLS when the relay offers it; the default), starttls (required) or tls (TLS from the first byte, port 465) (env VIGIL_SMTP_TLS).")
    var smtpTLSOption: String?

    @Option(name: .customLong("smtp-username"), help: "The account to sign in to the relay with, over TLS only; the password comes from the environment variable VIGIL_SMTP_PASSWORD (env VIGIL_SMTP_USERNAME).")
    var smtpUsernameOption: String?

    @Option(name: .customLong("smtp-ca-cert"), help: "A PEM file of the CAs to trust for the relay's certificate, e.g. a private CA (env VIGIL_SMTP_CA_CERT); the system's roots otherwise.")
    var smtpCAOption: String?

    @Option(name: .customLong("smtp-from"), help: "The sender address of alert mail (env VIGIL_SMTP_FROM; default vigil@localhost.localdomain).")
    var smtpFromOption: String?

    @Option(name: .customLong("notify-default"), help: "LEVEL=DEST[,DEST]: the destinations (ids or display names) that hear of alerts of that level when the rule has no notify: list; repeatable (env VIGIL_NOTIFY_DEFAULTS, entries separated by ';').")
    var notifyDefaultOptions: [String] = []

    @Option(name: .customLong("notify-group-by"), help: "Label names whose values put alerts in one notification (Alertmanager's group_by), e.g. alertname or alertname,severity; '...' (the default) sends each alert alone.")
    var groupBy: String = "..."

    @Option(name: .customLong("notify-group-wait"), help: "How long a new group waits for more alerts before its first notification (Alertmanager's group_wait): 0 or a number with s, m, h or d.")
    var groupWait: String = "0"

    @Option(name: .customLong("notify-group-interval"), help: "How long after a group's notification the next one about its changes may go (group_interval): 0 or a number with s, m, h or d.")
    var groupInterval: String = "0"

    @Option(name: .customLong("notify-repeat-interval"), help: "How often an alert still TRIGGERED is notified again (repeat_interval); 0 never repeats.")
    var repeatInterval: String = "4h"

    @Option(name: .customLong("detection-alert-limit"), help: "At most this many alerts per detection rule per minute (a burst of that many, then an even rate); firings past it are counted in vigil_detection_alerts_suppressed_total and logged; 0 = no limit.")
    var detectionAlertLimit: Int = 600

    @Option(name: .customLong("alert-resolve-after"), help: "How long after firing a detection alert resolves and a resolved notification is sent: a number with s, m, h or d.")
    var resolveAfter: String = "15m"

    var environment: [String: String] { ProcessInfo.processInfo.environment }
    var smtpServer: String? { smtpServerOption ?? environment["VIGIL_SMTP_SERVER"] }
    var smtpFrom: String { smtpFromOption ?? environment["VIGIL_SMTP_FROM"] ?? "vigil@localhost.localdomain" }
    var smtpTLS: String { smtpTLSOption ?? environment["VIGIL_SMTP_TLS"] ?? "auto" }
    var smtpUsername: String? { smtpUsernameOption ?? environment["VIGIL_SMTP_USERNAME"] }
    var smtpCA: String? { smtpCAOption ?? environment["VIGIL_SMTP_CA_CERT"] }

    /// The relay's settings, each problem named by its flag.
    func smtp() throws -> SMTPSettings? {
        guard let smtpServer else {
            if smtpUsername != nil || smtpCAOption != nil || smtpTLSOption != nil {
                throw ValidationError("--smtp-tls, --smtp-username and --smtp-ca-cert need --smtp-server")
            }
            return nil
        }
        guard let security = SMTPSettings.Security(rawValue: smtpTLS) else {
            throw ValidationError("--smtp-tls must be none, auto, starttls or tls; got '\(smtpTLS)'")
        }
        var settings: SMTPSettings
        do { settings = try SMTPSettings.parse(server: smtpServer, from: smtpFrom, security: security) } catch let error as VigilError { throw ValidationError(error.message) }
        if let username = smtpUsername {
            guard security != .none else { throw ValidationError("--smtp-username needs TLS: with --smtp-tls none the password would cross the network in clear") }
            guard let password = environment["VIGIL_SMTP_PASSWORD"], !password.isEmpty else {
                throw ValidationError("--smtp-username is set but VIGIL_SMTP_PASSWORD is not (the password is read from the environment only)")
            }
            settings.username = username
            settings.password = password
        }
        if let smtpCA {
            guard security != .none else { throw ValidationError("--smtp-ca-cert has no use with --smtp-tls none") }
            guard FileManager.default.isReadableFile(atPath: smtpCA) else { throw ValidationError("--smtp-ca-cert \(smtpCA) cannot be read") }
            settings.caCertificatePath = smtpCA
        }
        return settings
    }
    var notifyDefaults: [String] {
        notifyDefaultOptions.isEmpty ? (environment["VIGIL_NOTIFY_DEFAULTS"] ?? "").split(separator: ";").map(String.init) : notifyDefaultOptions
    }

    static let levels = ["informational", "low", "medium", "high", "critical"]

    /// `high=oncall,pager` → ["high": ["oncall", "pager"]].
    static func routing(_ entries: [String]) throws -> NotificationRouting {
        var defaults: [String: [String]] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, levels.contains(parts[0]) else {
                throw ValidationError("--notify-default must be LEVEL=DEST[,DEST] with LEVEL one of \(levels.joined(separator: ", ")); got '\(entry)'")
            }
            let destinations = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !destinations.isEmpty else { throw ValidationError("--notify-default \(parts[0])= names no destination") }
            defaults[parts[0], default: []] += destinations
        }
        return NotificationRouting(defaultsByLevel: defaults)
    }

    /// `0` or a duration with its unit, for the grouping flags.
    static func interval(_ text: String, flag: String) throws -> Int64 {
        if text == "0" { return 0 }
        guard let millis = RetentionPeriod.millis(text) else {
            throw ValidationError("--\(flag) must be 0 or a positive number with s, m, h or d, e.g. 30s; got '\(text)'")
        }
        return millis
    }

    func grouping() throws -> NotificationGrouping {
        let groupBy: [String]?
        do { groupBy = try NotificationGrouping.parseGroupBy(self.groupBy) } catch let error as VigilError { throw ValidationError("--notify-group-by: \(error.message)") }
        return NotificationGrouping(
            groupBy: groupBy, groupWaitMillis: try Self.interval(groupWait, flag: "notify-group-wait"),
            groupIntervalMillis: try Self.interval(groupInterval, flag: "notify-group-interval"),
            repeatIntervalMillis: try Self.interval(repeatInterval, flag: "notify-repeat-interval"))
    }

    func validate() throws {
        _ = try smtp()
        _ = try Self.routing(notifyDefaults)
        _ = try grouping()
        guard detectionAlertLimit >= 0 else { throw ValidationError("--detection-alert-limit must be 0 (no limit) or a positive number of alerts per rule per minute") }
        guard RetentionPeriod.millis(resolveAfter) != nil else {
            throw ValidationError("--alert-resolve-after must be a positive number with s, m, h or d, e.g. 15m; got '\(resolveAfter)'")
        }
    }

    func apply(to configuration: inout VigilConfiguration) {
        configuration.notifications.smtp = try? smtp()
        configuration.notifications.routing = (try? Self.routing(notifyDefaults)) ?? NotificationRouting()
        if let grouping = try? grouping() { configuration.notifications.routing.grouping = grouping }
        if let millis = RetentionPeriod.millis(resolveAfter) { configuration.detections.resolveAfter = .milliseconds(millis) }
        configuration.detections.maxAlertsPerRulePerMinute = detectionAlertLimit
    }
}
