import NIOCore

/// How long and how many connections a client may hold (`vigil serve --max-connections`, `--idle-timeout`,
/// `--header-timeout`, `--body-timeout`).
public struct ConnectionLimits: Sendable {
    /// Open connections at most; past it new ones are refused at once (503 over HTTP, closed over TLS).
    public var maxConnections: Int
    /// Between requests (the response written, the body read) the next head must arrive within this long, and at
    /// least `headerTimeout` (keep-alive idle).
    public var idleTimeout: Duration
    /// The first request head must arrive within this long of the connection opening.
    public var headerTimeout: Duration
    /// The request body must arrive within this long of its head.
    public var bodyTimeout: Duration
    /// A client that reads nothing of what the server sends for this long (a response, the live tail) is
    /// disconnected.
    public var writeStallTimeout: Duration = .seconds(30)

    public init(
        maxConnections: Int = 1024, idleTimeout: Duration = .seconds(60), headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(120)
    ) {
        self.maxConnections = max(1, maxConnections)
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
