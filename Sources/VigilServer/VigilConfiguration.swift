import Logging
import VigilCore
import VigilAlerts
import VigilExport
import VigilAPI
import VigilLogs
import VigilMonitoring
import VigilStore

/// What `vigil serve` runs with. Defaults suit one machine; every field has a flag and a `VIGIL_*`
/// environment variable (see `vigil serve --help` and the README).
public struct VigilConfiguration: Sendable {
    /// Folder holding `vigil.sqlite` and `admin-token` (default `./vigil-data`).
    public var dataDirectory: String
    public var host: String
    /// 0 picks a free port (tests, benchmarks).
    public var port: Int
    public var logLevel: Logger.Level
    public var limits: IngestLimits
    public var sequencer: Sequencer.Configuration
    /// The bootstrap admin token chosen by the operator (`VIGIL_ADMIN_TOKEN`) instead of a generated one.
    public var adminToken: Secret?
    /// `workspace_id` of Vigil's own audit events.
    public var workspaceID: String
    /// How often a checkpoint is signed (also when nothing arrived).
    public var checkpointInterval: Duration = .seconds(60)
    /// The checkpoint origin line and key name; default `vigil/<install id>`.
    public var ledgerOrigin: String?
    /// How often the background verifier re-checks new leaves against the newest checkpoint.
    public var verifyInterval: Duration = .seconds(300)
    /// Statement timeout, row and byte limits and the SQL executor's size (`--sql-timeout`, `--sql-row-limit`,
    /// `--sql-result-bytes`, `--sql-concurrency`, `--sql-queue`, `--sql-per-principal`).
    public var sql = SQLStatementRunner.Limits()
    /// How long and how much of finished statements' results are kept (`--sql-result-ttl`, `--sql-kept-result-bytes`).
    public var statements = StatementRegistry.Limits()
    /// Connection cap and read deadlines.
    public var connections = ConnectionLimits()
    /// The per-address rate of requests without a valid token (`--unauthenticated-rate`, `--unauthenticated-burst`).
    public var unauthenticated = AddressRateLimiter.Limits()
    /// How often the summaries of requests refused by that rate are written to the audit log.
    public var refusedSummaryInterval: Duration = .seconds(5)
    /// PEM certificate chain and private key: when set, Vigil serves HTTPS only (TLS 1.2+).
    public var tls: TLSFiles?
    /// The externally visible base URL (`--public-url`); app URLs are `<base>/apps/<name>`. Default
    /// `http(s)://<host>:<port>` as the server listens.
    public var publicURL: String?
    /// App log line size, per-app rate, retention and follower backlog (`--app-log-*`).
    public var logLimits = LogLimits()
    /// How often retention deletes old app log lines and those of deleted apps.
    public var logRetentionInterval: Duration = .seconds(60)
    /// How often clusters are checked for nodes that stopped reporting (a node is lost after three of its intervals).
    public var clusterCheckInterval: Duration = .seconds(1)
    /// How long node_timeline rows (and events of clusters terminated that long ago) are kept (`--node-retention`).
    public var nodeRetentionMillis: Int64 = ComputeRetentionService.defaultNodeRetentionMillis
    /// How long ended job runs and their timeline slices are kept (`--job-retention`).
    public var jobRetentionMillis: Int64 = ComputeRetentionService.defaultJobRetentionMillis
    /// The live tail's keep-alive and search-term wait.
    public var logStream = LogStreamSocket.Configuration()
    /// Sigma rules from a folder (`--rules-dir`, reloaded when a file changes) and the detection queue's limits.
    public var detections = DetectionService.Configuration()
    /// The SMTP relay, the level defaults and the outbox's retries (`--smtp-server`, `--notify-default`).
    public var notifications = NotificationSettings()
    /// Where the audit log is delivered (the configuration file's `delivery:` entries).
    public var deliveries: [DeliveryConfiguration] = []
    /// Where the audit log is forwarded (the configuration file's `forwarding:` entries).
    public var forwards: [ForwardConfiguration] = []
    /// Where Vigil's own figures are published (the configuration file's `metrics:` entries).
    public var metricPublishers: [CloudWatchMetricsPublisher.Configuration] = []
    /// Where the syslog source listens (`--syslog-listen`, `sources: syslog: listen:`): `udp://host:port`, `tcp://host:port`.
    public var syslogListens: [SyslogReceiver.Listen] = []
    /// The senders the syslog source takes (`--syslog-allow`, `sources: syslog: allow:`); empty: any.
    public var syslogAllow: [CIDR] = []

    public struct TLSFiles: Sendable {
        public var certificatePath: String
        public var keyPath: String
        public init(certificatePath: String, keyPath: String) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
        }
    }

    public init(
        dataDirectory: String = "./vigil-data", host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
        limits: IngestLimits = IngestLimits(), sequencer: Sequencer.Configuration = .init(), adminToken: Secret? = nil,
        workspaceID: String = "0"
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.limits = limits
        self.sequencer = sequencer
        self.adminToken = adminToken
        self.workspaceID = workspaceID
    }
}
