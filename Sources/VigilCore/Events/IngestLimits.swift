/// Limits on what one ingest request may carry. All are configurable (`vigil serve --help`).
public struct IngestLimits: Sendable, Equatable {
    /// Largest encoded size of one event, in bytes (default 1 MiB).
    public var maxEventBytes: Int
    /// Largest request body, in bytes (default 16 MiB).
    public var maxRequestBytes: Int
    /// How far `event_time` may lie ahead of the server clock, in milliseconds (default 5 minutes).
    public var maxFutureSkewMillis: Int64
    /// Largest number of events in one request (default 100,000).
    public var maxEventsPerRequest: Int

    public init(
        maxEventBytes: Int = 1 << 20, maxRequestBytes: Int = 16 << 20, maxFutureSkewMillis: Int64 = 5 * 60_000,
        maxEventsPerRequest: Int = 100_000
    ) {
        self.maxEventBytes = maxEventBytes
        self.maxRequestBytes = maxRequestBytes
        self.maxFutureSkewMillis = maxFutureSkewMillis
        self.maxEventsPerRequest = maxEventsPerRequest
    }
}
