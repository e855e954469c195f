#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Synchronization

/// A swift-log `LogHandler` that writes Vigil's app log convention (docs/app-logging.md): one JSON object per
/// line on standard output, `{"timestamp", "level", "logger", "message", ...metadata}`, which `vigil run` captures
/// and Vigil makes searchable (`level` and every member become fields of `system.vigil.app_logs`).
///
/// ```swift
/// LoggingSystem.bootstrap { label in JSONLineLogHandler(label: label) }
/// let logger = Logger(label: "shop")
/// logger.authentication(user: "alice@example.com", outcome: .success, method: "oauth")
/// ```
public struct JSONLineLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public let label: String
    private let output: LineOutput

    /// Writes to standard output (what `vigil run` and Databricks Apps capture).
    public init(label: String) {
        self.init(label: label, output: .standardOutput)
    }

    /// Writes to `output`: `.standardOutput`, `.standardError` or `.lines { line in ... }` (tests, custom sinks).
    public init(label: String, output: LineOutput) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        output.write(Self.line(
            timestamp: Date(), level: event.level, label: label, message: event.message.description, metadata: merged,
            source: event.source))
    }

    /// The fields the convention reserves; metadata with these names is written as `metadata.<name>` instead.
    public static let reservedKeys: Set<String> = ["timestamp", "level", "logger", "message"]

    /// One line, without its newline.
    public static func line(timestamp: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata,
                            source: String? = nil) -> String {
        var json = "{"
        JSONText.member("timestamp", .string(JSONText.rfc3339(timestamp)), first: true, into: &json)
        JSONText.member("level", .string(levelName(level)), into: &json)
        JSONText.member("logger", .string(label), into: &json)
        JSONText.member("message", .string(message), into: &json)
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            JSONText.member(reservedKeys.contains(key) ? "metadata." + key : key, value, into: &json)
        }
        json += "}"
        return json
    }

    /// swift-log's levels in the convention's vocabulary (TRACE, DEBUG, INFO, WARN, ERROR, FATAL).
    public static func levelName(_ level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }
}

/// Where lines go. Each line is written whole, with its newline, in one call, so lines from several threads never
/// interleave.
public struct LineOutput: Sendable {
    let write: @Sendable (String) -> Void

    public static let standardOutput = LineOutput { line in LineOutput.writeAll(1, line + "\n") }
    public static let standardError = LineOutput { line in LineOutput.writeAll(2, line + "\n") }

    /// Hands each line (without its newline) to `sink`.
    public static func lines(_ sink: @escaping @Sendable (String) -> Void) -> LineOutput { LineOutput(write: sink) }

    func write(_ line: String) { write(line) }

    private static let lock = Mutex(())

    static func writeAll(_ descriptor: Int32, _ text: String) {
        lock.withLock { _ in
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { buffer in
                    Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
            bytes.removeAll()
        }
    }
}
