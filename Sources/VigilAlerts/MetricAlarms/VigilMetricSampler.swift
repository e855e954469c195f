import GRDB
import Synchronization
import VigilCore
import VigilStore

/// Samples Vigil's own `/metrics` for the alarms that watch it (source `vigil_metrics`): only the series an alarm
/// names, every `interval`, into `vigil_metric_samples`. A counter (or a histogram's count, sum and buckets) is
/// kept as its increase since the previous sample, so `Sum` over a period is what Prometheus' `increase()` would
/// say; a gauge as read. The first sample of a counter after a start has no increase (the previous value died with
/// the old process), and a counter that went down was reset: its value is the increase since the reset.
public final class VigilMetricSampler: Sendable {
    public typealias Scrape = @Sendable () async throws -> String

    let database: VigilDatabase
    private let source = Mutex<Scrape?>(nil)
    private let previous = Mutex(Previous())
    /// Samples older than this are deleted: the longest evaluation range (a day) and one period of slack.
    public static let keepMillis: Int64 = 86_400_000 + 3_600_000

    public init(database: VigilDatabase) {
        self.database = database
    }

    /// Where the exposition text comes from (the server sets it once its metrics are wired).
    public func setSource(_ scrape: @escaping Scrape) { source.withLock { $0 = scrape } }

    /// The exposition now, or nil when no source is set.
    public func exposition() async throws -> PrometheusText.Exposition? {
        guard let scrape = source.withLock({ $0 }) else { return nil }
        return PrometheusText.parse(try await scrape())
    }

    /// Checks that `name` is one of Vigil's series (a typo would otherwise be INSUFFICIENT_DATA forever).
    public func requireKnown(_ name: String) async throws {
        guard let exposition = try await exposition() else { return }
        guard exposition.names.contains(name) else {
            let near = exposition.names.filter { $0.hasPrefix(String(name.prefix(12))) }.sorted().prefix(5)
            throw VigilError(.invalidParameter, "metric.name \(name.prefix(128)) is not one of Vigil's metrics (GET /metrics lists them)"
                             + (near.isEmpty ? "" : "; similar: \(near.joined(separator: ", "))"))
        }
    }

    /// Where the counters stood at the last sample, and the names sampled then.
    public struct Previous: Sendable {
        var values: [String: Double] = [:]
        var names: Set<String> = []
        public init() {}
        /// For a reader that starts with the process: its counters were 0 at the start, so a first reading of
        /// `names` is its increase since then (rather than unknown).
        public init(countingFromZero names: Set<String>) {
            self.names = names
        }

        /// Takes `next`'s reading for the series in `keys` (those a reader has now used), keeping the rest.
        public mutating func adopt(_ keys: Set<String>, from next: Previous) {
            for key in keys {
                if let value = next.values[key] { values[key] = value }
            }
        }
    }

    /// What to store for each series named in `names`: a gauge's reading, a counter's increase. A counter's first
    /// reading has no increase, unless its name was sampled last time (a labelled series that appeared since, such
    /// as the first failure of a destination: it counts from 0). NaN readings are left out. Updates `previous`,
    /// forgetting names no longer sampled (sampled again later, they start afresh rather than report the gap).
    public static func readings(_ exposition: PrometheusText.Exposition, names: Set<String>, previous: inout Previous)
        -> [(sample: PrometheusText.Sample, value: Double?)]
    {
        var out: [(PrometheusText.Sample, Double?)] = []
        var values: [String: Double] = [:]
        for sample in exposition.samples where names.contains(sample.name) && !sample.value.isNaN {
            guard exposition.isCumulative(sample.name) else {
                out.append((sample, sample.value))
                continue
            }
            let key = sample.key
            let before = previous.values[key] ?? (previous.names.contains(sample.name) ? 0 : nil)
            values[key] = sample.value
            out.append((sample, before.map { sample.value >= $0 ? sample.value - $0 : sample.value }))
        }
        previous.values = values
        previous.names = names
        return out
    }

    /// Takes one sample of the series in `names` at `now` and drops samples past keeping; answers the rows stored.
    @discardableResult
    public func sample(names: Set<String>, now: Int64) async throws -> Int {
        guard !names.isEmpty, let exposition = try await exposition() else { return 0 }
        let rows = previous.withLock { Self.readings(exposition, names: names, previous: &$0) }
        try await database.pool.write { db in
            for (sample, value) in rows {
                let labels = JSONWriter.text(of: .object(sample.labels.map { JSONMember($0.name, .string($0.value)) }))
                try db.execute(sql: "INSERT INTO vigil_metric_samples(name, labels, sample_time, value) VALUES (?, ?, ?, ?)",
                               arguments: [sample.name, labels, now, value])
            }
            try db.execute(sql: "DELETE FROM vigil_metric_samples WHERE sample_time < ?", arguments: [now - Self.keepMillis])
        }
        return rows.count
    }
}
