import VigilCore

/// Where a line came from, as Databricks Apps name it: the app's own output, or the platform about the app
/// (`vigil run` reporting a start, an exit, a dropped line).
public enum LogSource: String, Sendable, CaseIterable {
    case app = "APP"
    case system = "SYSTEM"
}

/// Which output a line was written to.
public enum LogStreamName: String, Sendable, CaseIterable {
    case stdout
    case stderr
}

/// One app log line as it is ingested: operational data, stored apart from the audit ledger.
public struct LogLine: Sendable, Equatable {
    /// Milliseconds since the epoch (the line's own time, or its arrival when it had none).
    public var timestampMillis: Int64
    public var source: LogSource
    public var stream: LogStreamName
    /// The line's level when it has one (a JSON message's `level`, an OTLP severity, a Loki `level` label),
    /// upper-cased and normalised (`WARN`, `ERROR`, ...).
    public var level: String?
    public var message: String
    /// Searchable fields as a JSON object of strings (a JSON message's members, Loki labels and structured metadata,
    /// OTLP attributes), or nil.
    public var fieldsJSON: String?

    public init(timestampMillis: Int64, source: LogSource = .app, stream: LogStreamName = .stdout, level: String? = nil,
                message: String, fieldsJSON: String? = nil) {
        self.timestampMillis = timestampMillis
        self.source = source
        self.stream = stream
        self.level = level
        self.message = message
        self.fieldsJSON = fieldsJSON
    }
}

/// A stored line: its place in the store (arrival order) and the app it belongs to.
public struct StoredLogLine: Sendable, Equatable {
    /// Arrival order across all apps; a later line has a larger id.
    public var id: Int64
    public var appKey: Int64
    public var line: LogLine

    public init(id: Int64, appKey: Int64, line: LogLine) {
        self.id = id
        self.appKey = appKey
        self.line = line
    }
}
