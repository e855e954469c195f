import ArgumentParser
import Foundation
import VigilConfig
import VigilCore
import VigilLogs
import VigilNotify
import VigilServer

/// `vigil serve`'s settings for alerts: the SMTP relay email destinations use, the destinations each rule level
/// notifies when its rule names none, and when a detection alert resolves. Each notification setting is taken from
/// its flag, else its `VIGIL_*` variable, else the configuration file's `notifications:` section, else the default.
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
    var groupByOption: String?

    @Option(name: .customLong("notify-group-wait"), help: "How long a new group waits for more alerts before its first notification (Alertmanager's group_wait): 0 (the default) or a number with s, m, h or d.")
    var groupWaitOption: String?

    @Option(name: .customLong("notify-group-interval"), help: "How long after a group's notification the next one about its changes may go (group_interval): 0 (the default) or a number with s, m, h or d.")
    var groupIntervalOption: String?

    @Option(name: .customLong("notify-repeat-interval"), help: "How often an alert still TRIGGERED is notified again (repeat_interval; default 4h); 0 never repeats.")
    var repeatIntervalOption: String?

    @Option(name: .customLong("detection-alert-limit"), help: "At most this many alerts per detection rule per minute (a burst of that many, then an even rate); firings past it are counted in vigil_detection_alerts_suppressed_total and logged; 0 = no limit.")
    var detectionAlertLimit: Int = 600

    @Option(name: .customLong("alert-resolve-after"), help: "How long after firing a detection alert resolves and a resolved notification is sent: a number with s, m, h or d.")
    var resolveAfter: String = "15m"

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// One SMTP setting: the flag's value, else the variable's, else the file's, with the name of where it came from
    /// (`--smtp-tls`, `VIGIL_SMTP_TLS`, `notifications.smtp.tls`) for messages.
    struct Setting {
        var value: String?
        var origin: String
    }

    func setting(_ option: String?, flag: String, variable: String, file: String?, key: String) -> Setting {
        if let option { return Setting(value: option, origin: "--\(flag)") }
        if let value = environment[variable] { return Setting(value: value, origin: variable) }
        return Setting(value: file, origin: file == nil ? "--\(flag)" : "notifications.smtp.\(key)")
    }

    /// The relay's settings; `file` fills what no flag or variable sets, and each problem names where its value
    /// came from.
    func smtp(_ file: NotificationsSection.SMTP = .init()) throws -> SMTPSettings? {
        let server = setting(smtpServerOption, flag: "smtp-server", variable: "VIGIL_SMTP_SERVER", file: file.server, key: "server")
        let from = setting(smtpFromOption, flag: "smtp-from", variable: "VIGIL_SMTP_FROM", file: file.from, key: "from")
        let tls = setting(smtpTLSOption, flag: "smtp-tls", variable: "VIGIL_SMTP_TLS", file: file.tls, key: "tls")
        let username = setting(smtpUsernameOption, flag: "smtp-username", variable: "VIGIL_SMTP_USERNAME", file: file.username, key: "username")
        let ca = setting(smtpCAOption, flag: "smtp-ca-cert", variable: "VIGIL_SMTP_CA_CERT", file: file.caCertificate, key: "ca_cert")
        let password = environment["VIGIL_SMTP_PASSWORD"] ?? file.password
        guard let smtpServer = server.value else {
            let given = [tls, username, ca].filter { $0.value != nil }.map(\.origin)
            if !given.isEmpty {
                throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "needs" : "need") a relay: --smtp-server (or notifications.smtp.server)")
            }
            return nil
        }
        let smtpTLS = tls.value ?? "auto"
        guard let security = SMTPSettings.Security(rawValue: smtpTLS) else {
            throw ValidationError("\(tls.origin) must be none, auto, starttls or tls; got '\(smtpTLS)'")
        }
        var settings: SMTPSettings
        do { settings = try SMTPSettings.parse(server: smtpServer, from: from.value ?? "vigil@localhost.localdomain", security: security) } catch let error as VigilError {
            throw ValidationError(error.message.replacingOccurrences(of: "--smtp-server", with: server.origin)
                .replacingOccurrences(of: "--smtp-from", with: from.origin))
        }
        if let name = username.value {
            guard security != .none else {
                throw ValidationError("\(username.origin) needs TLS: with \(tls.origin) none the password would cross the network in clear")
            }
            guard let password, !password.isEmpty else {
                throw ValidationError("\(username.origin) is set but VIGIL_SMTP_PASSWORD is not (the password is read from the environment, or the configuration file's notifications.smtp.password as ${NAME})")
            }
            settings.username = name
            settings.password = password
        }
        if let path = ca.value {
            guard security != .none else { throw ValidationError("\(ca.origin) has no use with \(tls.origin) none") }
            guard FileManager.default.isReadableFile(atPath: path) else { throw ValidationError("\(ca.origin) \(path) cannot be read") }
            settings.caCertificatePath = path
        }
        return settings
    }

    /// The flags' entries, else the variable's, else the file's (one source wins whole: they are not merged).
    func notifyDefaults(_ file: NotificationsSection = .init()) -> [String] {
        if !notifyDefaultOptions.isEmpty { return notifyDefaultOptions }
        if let variable = environment["VIGIL_NOTIFY_DEFAULTS"], !variable.isEmpty { return variable.split(separator: ";").map(String.init) }
        return file.defaults.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.joined(separator: ","))" }
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

    func grouping(_ file: NotificationsSection = .init()) throws -> NotificationGrouping {
        let groupBy: [String]?
        do { groupBy = try NotificationGrouping.parseGroupBy(groupByOption ?? file.groupBy ?? "...") } catch let error as VigilError {
            throw ValidationError("--notify-group-by: \(error.message)")
        }
        return NotificationGrouping(
            groupBy: groupBy, groupWaitMillis: try Self.interval(groupWaitOption ?? file.groupWait ?? "0", flag: "notify-group-wait"),
            groupIntervalMillis: try Self.interval(groupIntervalOption ?? file.groupInterval ?? "0", flag: "notify-group-interval"),
            repeatIntervalMillis: try Self.interval(repeatIntervalOption ?? file.repeatInterval ?? "4h", flag: "notify-repeat-interval"))
    }

    /// The flags on their own. The SMTP settings are checked in `apply`, with the configuration file's values (a flag
    /// such as --smtp-tls may complete the file's server).
    func validate() throws {
        _ = try Self.routing(notifyDefaults())
        _ = try grouping()
        guard detectionAlertLimit >= 0 else { throw ValidationError("--detection-alert-limit must be 0 (no limit) or a positive number of alerts per rule per minute") }
        guard RetentionPeriod.millis(resolveAfter) != nil else {
            throw ValidationError("--alert-resolve-after must be a positive number with s, m, h or d, e.g. 15m; got '\(resolveAfter)'")
        }
    }

    /// Sets the notification settings from the flags, the variables and `file`; a problem that only the file's values
    /// cause (a server without a port, a username without a password) is thrown here.
    func apply(to configuration: inout VigilConfiguration, file: NotificationsSection = .init()) throws {
        configuration.notifications.smtp = try smtp(file.smtp)
        configuration.notifications.routing = try Self.routing(notifyDefaults(file))
        configuration.notifications.routing.grouping = try grouping(file)
        if let millis = RetentionPeriod.millis(resolveAfter) { configuration.detections.resolveAfter = .milliseconds(millis) }
        configuration.detections.maxAlertsPerRulePerMinute = detectionAlertLimit
    }
}
