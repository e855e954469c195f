import Logging
import ServiceLifecycle
import VigilCore

/// Evaluates each metric alarm once per period, when its period has ended: the range's datapoints, the CloudWatch
/// evaluator, and the store's record of a changed state with its alert and notifications.
public final class MetricAlarmService: Service, Sendable {
    public let store: MetricAlarmStore
    let workspaceID: String?
    let tick: Duration
    let logger: Logger
    let changed: @Sendable ([AlertRecord]) async -> Void

    public init(store: MetricAlarmStore, workspaceID: String?, tick: Duration = .seconds(1), logger: Logger,
                changed: @escaping @Sendable ([AlertRecord]) async -> Void) {
        self.store = store
        self.workspaceID = workspaceID
        self.tick = tick
        self.logger = logger
        self.changed = changed
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var lastSample: Int64 = .min
            while !Task.isCancelled {
                // Vigil's own series are sampled every shortest period, before the periods that just ended are judged.
                let now = self.store.clock.nowMillis()
                let every = Int64(self.store.minimumPeriodSeconds) * 1000
                if now / every != lastSample / every {
                    lastSample = now
                    await self.sampleOwnMetrics(now: now)
                }
                await self.evaluateDue()
                try await Task.sleep(for: self.tick)
            }
        }
    }

    /// Samples the /metrics series that `vigil_metrics` alarms name.
    public func sampleOwnMetrics(now: Int64) async {
        do {
            let names = Set(try await store.all().compactMap { $0.definition.source == .vigilMetrics ? $0.definition.metricName : nil })
            try await store.sampler.sample(names: names, now: now)
        } catch {
            logger.error("Vigil's metrics could not be sampled for metric alarms", metadata: ["error": "\(error)"])
        }
    }

    /// Evaluates the alarms whose last evaluation was before the end of their latest complete period.
    public func evaluateDue() async {
        let now = store.clock.nowMillis()
        do {
            for alarm in try await store.all() {
                let period = Int64(alarm.definition.periodSeconds) * 1000
                let periodEnd = now / period * period
                if let last = alarm.lastEvaluatedMillis, last >= periodEnd { continue }
                await evaluate(alarm, now: now)
            }
        } catch {
            logger.error("Metric alarms could not be read", metadata: ["error": "\(error)"])
        }
    }

    public func evaluate(_ alarm: StoredMetricAlarm, now: Int64) async {
        do {
            let definition = alarm.definition
            let values = try await store.datapoints(definition, now: now)
            let range = values.map { $0.1.map { definition.comparison.breaches($0, definition.threshold) } }
            let next = definition.evaluator.next(range, current: alarm.state)
            let reason = definition.reason(next, values: values)
            let records = try await store.record(alarm, next: next, reason: reason, lastValue: values.last { $0.1 != nil }?.1, workspaceID: workspaceID)
            if next != alarm.state {
                logger.notice("A metric alarm changed state", metadata: ["alarm": "\(definition.name)", "from": "\(alarm.state.rawValue)", "to": "\(next.rawValue)"])
            }
            if !records.isEmpty { await changed(records) }
        } catch {
            logger.error("A metric alarm could not be evaluated", metadata: ["alarm": "\(alarm.definition.name)", "error": "\(error)"])
        }
    }
}
