import ArgumentParser
import Foundation
import VigilCore
import VigilLogs
import VigilNotify
import VigilServer

/// `vigil serve`'s settings for alerts: the SMTP relay email destinations use, the destinations each rule level
/// notifies when its rule names none, and when a detection alert resolves.
struct ServeAlertOptions: ParsableArguments {
    @Option(name: .customLong("smtp-server"), help: "The SMTP relay for email destinations, host or host:port (env VIGIL_SMTP_SERVER; plain SMTP, no STARTTLS yet).")
    var smtpServerOption: String?

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

    @Option(name: .customLong("alert-resolve-after"), help: "How long after firing a detection alert resolves and a resolved notification is sent: a number with s, m, h or d.")
    var resolveAfter: String = "15m"

    var environment: [String: String] { ProcessInfo.processInfo.environment }
    var smtpServer: String? { smtpServerOption ?? environment["VIGIL_SMTP_SERVER"] }
    var smtpFrom: String { smtpFromOption ?? environment["VIGIL_SMTP_FROM"] ?? "vigil@localhost.localdomain" }
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
        if let smtpServer { _ = try SMTPSettings.parse(server: smtpServer, from: smtpFrom) }
        _ = try Self.routing(notifyDefaults)
        _ = try grouping()
        guard RetentionPeriod.millis(resolveAfter) != nil else {
            throw ValidationError("--alert-resolve-after must be a positive number with s, m, h or d, e.g. 15m; got '\(resolveAfter)'")
        }
    }

    func apply(to configuration: inout VigilConfiguration) {
        configuration.notifications.smtp = smtpServer.flatMap { try? SMTPSettings.parse(server: $0, from: smtpFrom) }
        configuration.notifications.routing = (try? Self.routing(notifyDefaults)) ?? NotificationRouting()
        if let grouping = try? grouping() { configuration.notifications.routing.grouping = grouping }
        if let millis = RetentionPeriod.millis(resolveAfter) { configuration.detections.resolveAfter = .milliseconds(millis) }
    }
}
