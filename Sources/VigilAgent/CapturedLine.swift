import VigilCore

/// One line a child wrote, as `vigil run` captured it: when it was read, from which output, and its text.
public struct CapturedLine: Sendable, Equatable {
    public enum Stream: String, Sendable { case stdout, stderr }
    public enum Source: String, Sendable {
        /// The child's own output.
        case app = "APP"
        /// `vigil run` about the child: started, exited, lines dropped.
        case system = "SYSTEM"
    }

    public var timestampMillis: Int64
    public var stream: Stream
    public var source: Source
    public var message: String

    public init(timestampMillis: Int64, stream: Stream, source: Source = .app, message: String) {
        self.timestampMillis = timestampMillis
        self.stream = stream
        self.source = source
        self.message = message
    }

    /// The line in Vigil's push format (one NDJSON record, without its newline).
    public func ndjson() -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: message.utf8.count + 96)
        writer.beginObject()
        writer.key("timestamp"); writer.string(Timestamp.formatRFC3339(millis: timestampMillis)); writer.comma()
        writer.key("source"); writer.string(source.rawValue); writer.comma()
        writer.key("stream"); writer.string(stream.rawValue); writer.comma()
        writer.key("message"); writer.string(message)
        writer.endObject()
        return writer.bytes
    }
}
