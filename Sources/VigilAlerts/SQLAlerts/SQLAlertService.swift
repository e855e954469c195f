import Logging
import ServiceLifecycle
import VigilCore
import VigilSQL

/// Runs SQL alerts on their schedules: each due alert's query runs with its owner's access (`runQuery`, given by the
/// API layer), its condition decides the state, and the store records it with its history and notifications.
public final class SQLAlertService: Service, Sendable {
    /// The query's result, or why it failed (the alert goes to ERROR with it).
    public typealias QueryRunner = @Sendable (_ owner: String, _ text: String) async -> Result<(columns: [String], rows: [[SQLValue]]), VigilError>

    public let store: SQLAlertStore
    let runQuery: QueryRunner
    let tick: Duration
    let logger: Logger
    /// Tells the world of alerts opened and resolved (the server audits them and wakes the notifier).
    let changed: @Sendable ([AlertRecord]) async -> Void

    public init(store: SQLAlertStore, tick: Duration = .seconds(1), logger: Logger, runQuery: @escaping QueryRunner,
                changed: @escaping @Sendable ([AlertRecord]) async -> Void) {
        self.store = store
        self.tick = tick
        self.logger = logger
        self.runQuery = runQuery
        self.changed = changed
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.runDue()
                try await Task.sleep(for: self.tick)
            }
        }
    }

    /// Evaluates every alert that is due now.
    public func runDue() async {
        do {
            for stored in try await store.due(limit: 20) {
                if Task.isCancelled { return }
                await evaluate(stored)
            }
        } catch {
            logger.error("SQL alerts could not be read", metadata: ["error": "\(error)"])
        }
    }

    public func evaluate(_ stored: StoredSQLAlert) async {
        do {
            let definition = try SQLAlertDefinition.decode(stored.definition)
            let outcome: SQLAlertCondition.Outcome
            switch await runQuery(stored.ownerUserName, definition.queryText) {
            case .success(let result):
                outcome = definition.condition.evaluate(columns: result.columns, rows: result.rows)
            case .failure(let error):
                outcome = SQLAlertCondition.Outcome(state: .error, value: nil, error: error.message)
            }
            if let error = outcome.error {
                logger.warning("A SQL alert's evaluation failed", metadata: ["alert_id": "\(stored.id)", "error": "\(error)"])
            }
            let records = try await store.record(stored, definition, outcome: outcome)
            if !records.isEmpty { await changed(records) }
        } catch {
            logger.error("A SQL alert could not be evaluated", metadata: ["alert_id": "\(stored.id)", "error": "\(error)"])
        }
    }
}
