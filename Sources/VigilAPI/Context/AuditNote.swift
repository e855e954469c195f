import Synchronization

/// What a handler wants recorded in its request's self-audit event (`request_params`), shared by
/// reference because the middleware that writes the record sees the context only as it passed it down.
public final class AuditNote: Sendable {
    private let params = Mutex<[(key: String, value: String)]>([])

    public init() {}

    public func set(_ key: String, _ value: String?) {
        guard let value else { return }
        params.withLock { params in
            params.removeAll { $0.key == key }
            params.append((key, value))
        }
    }

    public var requestParams: [(key: String, value: String)] { params.withLock { $0 } }
}
