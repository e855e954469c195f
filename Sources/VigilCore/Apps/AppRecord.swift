/// An app as Vigil stores it: the client's `AppSpec` plus what the server keeps about it.
public struct AppRecord: Sendable, Equatable {
    /// Whether the app is started (`compute_status.state` ACTIVE) or stopped (STOPPED). Vigil runs no app code:
    /// the state is what start and stop recorded, and what `vigil run` and the console show.
    public enum ComputeState: String, Sendable {
        case active = "ACTIVE"
        case stopped = "STOPPED"
    }

    /// The row id that log lines are kept under (never reused, unlike a name).
    public var key: Int64
    /// The API's `id` (a UUID).
    public var id: String
    public var spec: AppSpec
    public var creator: String
    public var updater: String
    public var createMillis: Int64
    public var updateMillis: Int64
    public var computeState: ComputeState
    /// How long this app's log lines are kept, when it overrides the server's `--app-log-retention`.
    public var logRetentionMillis: Int64?

    public init(key: Int64, id: String, spec: AppSpec, creator: String, updater: String, createMillis: Int64, updateMillis: Int64,
                computeState: ComputeState, logRetentionMillis: Int64? = nil) {
        self.logRetentionMillis = logRetentionMillis
        self.key = key
        self.id = id
        self.spec = spec
        self.creator = creator
        self.updater = updater
        self.createMillis = createMillis
        self.updateMillis = updateMillis
        self.computeState = computeState
    }

    public var name: String { spec.name }
}
