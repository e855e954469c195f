import ArgumentParser
import Foundation
import VigilCore
import VigilLogs
import VigilServer

/// `vigil serve`'s settings for apps and monitoring data: the externally visible URL app URLs are made from, the
/// bounds on app logs (line size, per-app rate, retention), and how long node samples and job runs are kept.
struct ServeAppOptions: ParsableArguments {
    @Option(name: .customLong("public-url"), help: "The server's externally visible base URL, e.g. https://vigil.example.com; app URLs are <public-url>/apps/<name> (env VIGIL_PUBLIC_URL; default http://<host>:<port>).")
    var publicURLOption: String?

    var publicURL: String? { publicURLOption ?? ProcessInfo.processInfo.environment["VIGIL_PUBLIC_URL"] }

    @Option(name: .customLong("app-log-retention"), help: "How long app log lines (unless an app sets its own) and host log lines (syslog) are kept: a number with s, m, h or d (default 7d).")
    var retention: String = "7d"

    @Option(name: .customLong("app-log-rate"), help: "Lines per second each app may ship, sustained; past it pushes get 429 with Retry-After (0 = no limit).")
    var rate: Int = LogLimits().linesPerSecond

    @Option(name: .customLong("app-log-burst"), help: "Lines an app may ship at once above its rate.")
    var burst: Int = LogLimits().burstLines

    @Option(name: .customLong("app-log-line-bytes"), help: "Longest app log line kept whole; longer ones are cut and marked.")
    var lineBytes: Int = LogLimits().maxLineBytes

    @Option(name: .customLong("node-retention"), help: "How long node_timeline rows are kept (Databricks keeps 90 days): s, m, h or d.")
    var nodeRetention: String = "90d"

    @Option(name: .customLong("job-retention"), help: "How long ended job runs and their timeline are kept (Databricks keeps 365 days): s, m, h or d.")
    var jobRetention: String = "365d"

    @Option(name: .customLong("rules-dir"), help: "A folder of Sigma detection rules (*.yml, *.yaml, subfolders too), run on every committed event and reloaded when a file changes (env VIGIL_RULES_DIR).")
    var rulesDirectoryOption: String?

    var rulesDirectory: String? { rulesDirectoryOption ?? ProcessInfo.processInfo.environment["VIGIL_RULES_DIR"] }

    func validate() throws {
        if let rulesDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: rulesDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--rules-dir '\(rulesDirectory)' is not a folder")
            }
        }
        for (flag, value) in [("--node-retention", nodeRetention), ("--job-retention", jobRetention)] where RetentionPeriod.millis(value) == nil {
            throw ValidationError("\(flag) must be a positive number with s, m, h or d, e.g. 90d; got '\(value)'")
        }
        guard RetentionPeriod.millis(retention) != nil else {
            throw ValidationError("--app-log-retention must be a positive number with s, m, h or d, e.g. 7d or 36h; got '\(retention)'")
        }
        guard rate >= 0, burst > 0, lineBytes >= 1024 else {
            throw ValidationError("--app-log-rate must be ≥ 0, --app-log-burst > 0 and --app-log-line-bytes ≥ 1024")
        }
        if let publicURL {
            guard let url = URL(string: publicURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil, url.query == nil else {
                throw ValidationError("--public-url must be an http(s) URL such as https://vigil.example.com, got '\(publicURL)'")
            }
        }
    }

    func apply(to configuration: inout VigilConfiguration) {
        configuration.publicURL = publicURL
        configuration.detections.rulesDirectory = rulesDirectory
        configuration.nodeRetentionMillis = RetentionPeriod.millis(nodeRetention) ?? configuration.nodeRetentionMillis
        configuration.jobRetentionMillis = RetentionPeriod.millis(jobRetention) ?? configuration.jobRetentionMillis
        configuration.logLimits = LogLimits(
            maxLineBytes: lineBytes, linesPerSecond: rate, burstLines: burst, retentionMillis: RetentionPeriod.millis(retention) ?? LogLimits().retentionMillis)
    }
}
