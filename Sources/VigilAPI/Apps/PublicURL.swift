import Synchronization

/// The externally visible base URL of the server (`vigil serve --public-url`), from which app URLs are made
/// (`<base>/apps/<name>`). Without the flag it is `http(s)://<listen host>:<bound port>`, known once the server has
/// bound its port.
public final class PublicURL: Sendable {
    private let value: Mutex<String>
    public let isConfigured: Bool

    public init(configured: String?) {
        let trimmed = configured.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        value = Mutex(trimmed ?? "http://127.0.0.1")
        isConfigured = trimmed != nil
    }

    public var base: String { value.withLock { $0 } }

    /// Sets the default base from where the server listens (ignored when `--public-url` was given).
    public func listening(scheme: String, host: String, port: Int) {
        guard !isConfigured else { return }
        let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        value.withLock { $0 = "\(scheme)://\(shown):\(port)" }
    }

    public func appURL(_ name: String) -> String { base + "/apps/" + name }
}
