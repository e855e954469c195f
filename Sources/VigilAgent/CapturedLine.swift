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
        var encoder = Encoder()
        var bytes: [UInt8] = []
        encoder.append(self, to: &bytes)
        bytes.removeLast()
        return bytes
    }

    /// Writes lines in the push format one after another into a batch, reusing its buffer, and formats a timestamp
    /// once for all the lines read at the same moment (a read of a chatty child gives hundreds).
    public struct Encoder {
        private var record = JSONWriter(reservingCapacity: 1024)
        private var stampMillis = Int64.min
        private var stamp: [UInt8] = []

        public init() {}

        /// Appends `line` and its newline to `body`, unless that would take `body` past `limit` bytes.
        @discardableResult
        public mutating func append(_ line: CapturedLine, to body: inout [UInt8], limit: Int = .max) -> Bool {
            if line.timestampMillis != stampMillis {
                stamp.removeAll(keepingCapacity: true)
                Timestamp.appendRFC3339(millis: line.timestampMillis, to: &stamp)
                stampMillis = line.timestampMillis
            }
            record.removeAll()
            record.raw(#"{"timestamp":""#)
            stamp.withUnsafeBytes { record.rawJSON($0) }
            switch (line.source, line.stream) {
            case (.app, .stdout): record.raw(#"","source":"APP","stream":"stdout","message":"#)
            case (.app, .stderr): record.raw(#"","source":"APP","stream":"stderr","message":"#)
            case (.system, .stdout): record.raw(#"","source":"SYSTEM","stream":"stdout","message":"#)
            case (.system, .stderr): record.raw(#"","source":"SYSTEM","stream":"stderr","message":"#)
            }
            record.string(line.message)
            record.raw("}\n")
            guard body.count + record.bytes.count <= limit else { return false }
            body.append(contentsOf: record.bytes)
            return true
        }
    }
}
