import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import VigilConfig
import VigilCore
import VigilExport
import VigilServer
import VigilStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Vigil server (embedded SQLite in the data folder).",
        discussion: """
            On first start Vigil creates the user 'admin' and a token and writes the token to <data-dir>/admin-token \
            (mode 0600; it is never printed). Set VIGIL_ADMIN_TOKEN to choose the token instead. \
            --config names a YAML file with delivery:, forwarding:, metrics:, sources: and notifications: sections (docs/vigil.example.yaml); \
            flags set everything else, and a flag or VIGIL_* variable wins over the file where both set a value. \
            Environment: VIGIL_CONFIG, VIGIL_DATA_DIR, VIGIL_LISTEN_HOST, VIGIL_PORT, VIGIL_LOG_LEVEL, VIGIL_ADMIN_TOKEN, VIGIL_PUBLIC_URL. \
            SIGTERM or SIGINT stop the server after in-flight requests and queued events are written.
            """
    )

    @Option(name: .customLong("config"), help: "YAML configuration file for delivery, forwarding, CloudWatch metrics, sources and notification defaults (env VIGIL_CONFIG); see docs/vigil.example.yaml.")
    var configFile: String? = ProcessInfo.processInfo.environment["VIGIL_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }

    @Option(name: .customLong("syslog-listen"), help: "Receive syslog (RFC 5424/3164; sshd and sudo logins become audit events): udp://host:port or tcp://host:port; repeatable (env VIGIL_SYSLOG_LISTEN, comma-separated).")
    var syslogListen: [String] = (ProcessInfo.processInfo.environment["VIGIL_SYSLOG_LISTEN"] ?? "").split(separator: ",").map(String.init)

    @Option(name: .customLong("syslog-allow"), help: "Take syslog only from this network or address (10.0.0.0/8, 192.0.2.7, 2001:db8::/32); repeatable; others are dropped unread and counted as denied (env VIGIL_SYSLOG_ALLOW, comma-separated; default: any sender).")
    var syslogAllow: [String] = (ProcessInfo.processInfo.environment["VIGIL_SYSLOG_ALLOW"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }

    @Option(name: .customLong("data-dir"), help: "Data folder (env VIGIL_DATA_DIR).")
    var dataDirectory: String = ProcessInfo.processInfo.environment["VIGIL_DATA_DIR"] ?? "./vigil-data"

    @Option(help: "Address to listen on (env VIGIL_LISTEN_HOST).")
    var host: String = ProcessInfo.processInfo.environment["VIGIL_LISTEN_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on, 0 for any free port (env VIGIL_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["VIGIL_PORT"] ?? "") ?? 8080

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env VIGIL_LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["VIGIL_LOG_LEVEL"] ?? "info"

    @Option(name: .customLong("max-event-bytes"), help: "Largest accepted event, in bytes.")
    var maxEventBytes: Int = IngestLimits().maxEventBytes

    @Option(name: .customLong("max-request-bytes"), help: "Largest accepted ingest request body, in bytes.")
    var maxRequestBytes: Int = IngestLimits().maxRequestBytes

    @Option(name: .customLong("max-future-seconds"), help: "How far event_time may lie ahead of the server clock.")
    var maxFutureSeconds: Int = 300

    @Option(name: .customLong("max-queued-events"), help: "Ingest queue bound; past it requests get 429 with Retry-After.")
    var maxQueuedEvents: Int = 200_000

    @Option(name: .customLong("checkpoint-interval"), help: "Seconds between signed ledger checkpoints.")
    var checkpointInterval: Int = 60

    @Option(name: .customLong("verify-interval"), help: "Seconds between background re-verifications of new ledger ranges.")
    var verifyInterval: Int = 300

    @OptionGroup(title: "Spark SQL")
    var sql: ServeSQLOptions

    @OptionGroup(title: "Transport")
    var transport: ServeTransportOptions

    @OptionGroup(title: "Apps and app logs")
    var apps: ServeAppOptions

    @OptionGroup(title: "Alerts and notifications")
    var alerts: ServeAlertOptions

    func validate() throws {
        guard checkpointInterval > 0, verifyInterval > 0 else {
            throw ValidationError("--checkpoint-interval and --verify-interval must be positive")
        }
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard maxEventBytes > 0, maxRequestBytes >= maxEventBytes else {
            throw ValidationError("--max-request-bytes must be at least --max-event-bytes, both positive")
        }
        guard maxFutureSeconds >= 0, maxQueuedEvents > 0 else {
            throw ValidationError("--max-future-seconds must be ≥ 0 and --max-queued-events > 0")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = VigilConfiguration(dataDirectory: dataDirectory, host: host, port: port, logLevel: level)
        var notifications = NotificationsSection()
        if let configFile {
            // Every problem in the file, each with its line, and no start.
            do {
                let file = try ConfigFile.load(path: configFile)
                configuration.deliveries = file.deliveries.map(DeliveryConfiguration.init)
                configuration.forwards = file.forwards.map(ForwardConfiguration.init)
                configuration.metricPublishers = file.metrics.map(CloudWatchMetricsPublisher.Configuration.init)
                configuration.syslogListens = try file.syslogListens.map(SyslogReceiver.Listen.init)
                configuration.syslogAllow = file.syslogAllow.compactMap(CIDR.entry)
                notifications = file.notifications
            } catch let error as ConfigFile.Failure {
                throw CLIFailure("the configuration file has problems:\n" + error.problems.joined(separator: "\n"))
            }
        }
        // The flag, when given, replaces the file's list.
        if !syslogListen.isEmpty {
            do { configuration.syslogListens = try syslogListen.map(SyslogReceiver.Listen.init) } catch let error as VigilError {
                throw ValidationError("--syslog-listen \(error.message)")
            }
        }
        if !syslogAllow.isEmpty {
            configuration.syslogAllow = try syslogAllow.map { entry in
                guard let network = CIDR.entry(entry) else {
                    throw ValidationError("--syslog-allow \(entry): want a network such as 10.0.0.0/8 or an address such as 192.0.2.7")
                }
                return network
            }
        }
        configuration.limits = IngestLimits(
            maxEventBytes: maxEventBytes, maxRequestBytes: maxRequestBytes, maxFutureSkewMillis: Int64(maxFutureSeconds) * 1000)
        configuration.sequencer.maxQueuedEvents = maxQueuedEvents
        configuration.checkpointInterval = .seconds(checkpointInterval)
        configuration.verifyInterval = .seconds(verifyInterval)
        sql.apply(to: &configuration)
        transport.apply(to: &configuration)
        apps.apply(to: &configuration)
        // Each message names where the faulty value came from: a flag, a VIGIL_* variable or notifications.* in the file.
        do { try alerts.apply(to: &configuration, file: notifications) } catch let error as ValidationError where notifications != NotificationsSection() {
            throw CLIFailure("the notification settings (flags and VIGIL_* variables over the configuration file's notifications:) have a problem: \(error.message)")
        }
        FileLimit.raiseForConnections(configuration.connections.maxConnections)
        if let token = ProcessInfo.processInfo.environment["VIGIL_ADMIN_TOKEN"], !token.isEmpty {
            configuration.adminToken = Secret(token)
        }
        try await PortCheck.ensureAvailable(host: host, port: port)
        let vigil: VigilApplication
        do {
            vigil = try await VigilApplication(configuration: configuration)
        } catch let error as VigilError {
            throw CLIFailure(error.message)
        }
        if vigil.generatedAdminToken != nil {
            // The token itself is never printed: a captured stdout (a service manager's journal, CI logs) would
            // then hold it. It is in the 0600 file only.
            print("""
                Vigil created the user 'admin' and its API token, saved in \(vigil.adminTokenFile) (readable by this user only):

                    export VIGIL_TOKEN=$(cat \(vigil.adminTokenFile))

                """)
            fflush(nil)  // flushes stdout too; `stdout` itself is not concurrency-safe to name
        }
        let logger = Logger(label: "vigil")
        let dataDirectory = configuration.dataDirectory
        let treeSize = try await vigil.treeSize()
        let scheme = configuration.tls == nil ? "http" : "https"
        let sqlThreads = configuration.sql.executor.concurrency
        let app = vigil.makeApplication { channel in
            let address = channel.localAddress
            logger.info("Vigil is listening", metadata: [
                "address": "\(address?.description ?? "?")", "url": "\(scheme)://\(host):\(address?.port ?? port)",
                "data_dir": "\(dataDirectory)", "tree_size": "\(treeSize)", "sql_threads": "\(sqlThreads)",
            ])
        }
        // The lifecycle logger runs beside the application, after it in the group, so it is the first to hear of a
        // shutdown (services stop in reverse order): its line comes before the server stops taking requests.
        let group = ServiceGroup(configuration: .init(
            services: [app, vigil.lifecycle], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        let finalSize = (try? await vigil.treeSize()) ?? 0
        let drained = vigil.lifecycle.treeSizeAtShutdown.map { finalSize >= $0 ? finalSize - $0 : 0 } ?? 0
        logger.info("Vigil stopped", metadata: ["tree_size": "\(finalSize)", "drained_events": "\(drained)"])
    }
}

extension DeliveryConfiguration {
    /// The configuration file's entry, as the delivery service runs it.
    init(_ section: DeliverySection) {
        self.init(name: section.name, url: section.url)
        intervalMillis = section.intervalMillis
        digestIntervalMillis = section.digestIntervalMillis
        batchEvents = section.batchEvents
        if let key = section.accessKeyID, let secret = section.secretAccessKey {
            s3 = S3Settings(endpoint: section.endpoint, region: section.region ?? "us-east-1", addressing: section.addressing.flatMap(S3Location.Addressing.init),
                            credentials: .init(accessKeyID: key, secretAccessKey: secret, sessionToken: section.sessionToken),
                            partSize: section.partSizeBytes ?? 8 << 20)
        }
    }
}

extension ForwardConfiguration {
    /// The configuration file's entry, as the forwarding service runs it.
    init(_ section: ForwardSection) {
        self.init(name: section.name, url: section.url)
        filter = ForwardFilter(serviceNames: Set(section.serviceNames), actionNames: Set(section.actionNames), workspaceIDs: Set(section.workspaceIDs))
        intervalMillis = section.intervalMillis
        batchEvents = section.batchEvents
        hostname = section.hostname
        caCertificatePath = section.caCertificatePath
        token = section.token
        if let sourcetype = section.sourcetype { self.sourcetype = sourcetype }
        index = section.index
        signingSecret = section.signingSecret
        region = section.region ?? "us-east-1"
        endpoint = section.endpoint
        if let key = section.accessKeyID, let secret = section.secretAccessKey {
            credentials = .init(accessKeyID: key, secretAccessKey: secret, sessionToken: section.sessionToken)
        }
    }
}

extension CloudWatchMetricsPublisher.Configuration {
    /// The configuration file's entry, as the publisher runs it (the file checked that credentials are present).
    init(_ section: MetricsSection) {
        self.init(name: section.name, namespace: section.namespace,
                  include: Set(section.include ?? Self.defaultInclude),
                  credentials: .init(accessKeyID: section.accessKeyID ?? "", secretAccessKey: section.secretAccessKey ?? "",
                                     sessionToken: section.sessionToken))
        intervalMillis = section.intervalMillis
        region = section.region ?? "us-east-1"
        endpoint = section.endpoint
    }
}
