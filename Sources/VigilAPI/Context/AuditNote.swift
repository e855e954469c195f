import Synchronization

/// What a handler wants recorded in its request's self-audit event (`request_params`), shared by
/// reference because the middleware that writes the record sees the context only as it passed it down.
public final class AuditNote: Sendable {
    private let params = Mutex<[(key: String, value: String)]>([])
    private let recorded = Mutex(false)
    private let actionOverride = Mutex<(service: String, action: String)?>(nil)
    private let user = Mutex<String?>(nil)

    /// The user a sign-in request was for (`/login` has no authenticated principal until it succeeds).
    public var userName: String? {
        get { user.withLock { $0 } }
        set { user.withLock { $0 = newValue } }
    }

    /// Set by a handler whose route covers several audit actions (a SCIM PATCH that adds members is
    /// `addPrincipalsToGroup`, one that renames is `updateGroup`).
    public var action: (service: String, action: String)? {
        get { actionOverride.withLock { $0 } }
        set { actionOverride.withLock { $0 = newValue } }
    }

    /// Set by a handler whose self-audit record was already written in its own transaction (ingest);
    /// the middleware then does not write a second one.
    public var isRecorded: Bool {
        get { recorded.withLock { $0 } }
        set { recorded.withLock { $0 = newValue } }
    }

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
