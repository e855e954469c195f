/// Bounds on app logs; every one has a `vigil serve` flag.
public struct LogLimits: Sendable, Equatable {
    /// A message longer than this many bytes is cut there and marked (default 64 KiB, `--app-log-line-bytes`).
    public var maxLineBytes: Int
    /// Lines per second each app may ship, sustained; 0 = no limit (`--app-log-rate`).
    public var linesPerSecond: Int
    /// Lines an app may ship at once above its rate (`--app-log-burst`).
    public var burstLines: Int
    /// How long lines are kept (`--app-log-retention`, default 7 days).
    public var retentionMillis: Int64
    /// Lines a live follower may fall behind by before it is dropped (a slow client must not hold memory or slow
    /// ingest).
    public var followerBacklogLines: Int

    public init(maxLineBytes: Int = 64 << 10, linesPerSecond: Int = 50_000, burstLines: Int = 250_000,
                retentionMillis: Int64 = 7 * 86_400_000, followerBacklogLines: Int = 20_000) {
        self.maxLineBytes = maxLineBytes
        self.linesPerSecond = linesPerSecond
        self.burstLines = burstLines
        self.retentionMillis = retentionMillis
        self.followerBacklogLines = followerBacklogLines
    }
}

/// Cuts over-long messages at a character boundary and says so at the end of the line, so a reader never mistakes
/// a cut line for a whole one: `<first 64 KiB> …[cut: 12345 more bytes]`.
public enum LineCutter {
    public static func cut(_ message: String, maxBytes: Int) -> (message: String, wasCut: Bool) {
        guard message.utf8.count > maxBytes else { return (message, false) }
        let utf8 = Array(message.utf8)
        // utf8[end] is the first byte dropped: back up while it continues a character, so none is split.
        var end = max(0, maxBytes)
        while end > 0, utf8[end] & 0xC0 == 0x80 { end -= 1 }
        let kept = String(decoding: utf8[..<end], as: UTF8.self)
        return (kept + " …[cut: \(utf8.count - end) more bytes]", true)
    }
}
