import GRDB
import Synchronization
import Testing
import VigilCore
import VigilNotify
import VigilStore
import VigilTesting
@testable import VigilAlerts

/// Alarms on Vigil's own /metrics: the exposition parsed, counters turned into increases, samples kept in a real
/// SQLite file and read back as one datapoint per period.
struct VigilMetricSamplerTests {
    static let text = """
        # HELP vigil_ingest_events_accepted_total Events stored.
        # TYPE vigil_ingest_events_accepted_total counter
        vigil_ingest_events_accepted_total 120
        # TYPE vigil_notification_outbox gauge
        vigil_notification_outbox{state="pending"} 4
        vigil_notification_outbox{state="failed"} 1
        # TYPE vigil_sequencer_commit_duration_seconds histogram
        vigil_sequencer_commit_duration_seconds_bucket{le="+Inf"} 7
        vigil_sequencer_commit_duration_seconds_count 7
        vigil_sequencer_commit_duration_seconds_sum 0.25
        # TYPE odd gauge
        odd{path="a\\"b\\\\c\\nd",z="1", a="2"} 3.5 1700000000000
        broken{x="unterminated} 1
        9starts_with_digit 1
        nan_gauge NaN
        """

    @Test("the text format: names, labels with escapes (sorted), values, types; malformed lines skipped")
    func parse() {
        let exposition = PrometheusText.parse(Self.text)
        #expect(exposition.samples.map(\.name) == ["vigil_ingest_events_accepted_total", "vigil_notification_outbox", "vigil_notification_outbox",
                                                   "vigil_sequencer_commit_duration_seconds_bucket", "vigil_sequencer_commit_duration_seconds_count",
                                                   "vigil_sequencer_commit_duration_seconds_sum", "odd", "nan_gauge"])
        let odd = exposition.samples[6]
        #expect(odd.labels == [.init("a", "2"), .init("path", "a\"b\\c\nd"), .init("z", "1")])
        #expect(odd.value == 3.5)
        #expect(odd.key == #"odd{a="2",path="a\"b\\c\nd",z="1"}"#)
        #expect(exposition.samples[3].labels == [.init("le", "+Inf")])
        #expect(exposition.isCumulative("vigil_ingest_events_accepted_total"))
        #expect(exposition.isCumulative("vigil_sequencer_commit_duration_seconds_count"))
        #expect(!exposition.isCumulative("vigil_notification_outbox"))
        #expect(!exposition.isCumulative("vigil_sequencer_commit_duration_seconds"))
        #expect(exposition.names.contains("vigil_sequencer_commit_duration_seconds_sum"))
        #expect(!exposition.names.contains("broken"))
        #expect(MetricName.isValid("a:b_c9") && !MetricName.isValid("9a") && !MetricName.isValid("a-b") && !MetricName.isValid(""))
    }

    @Test("readings: a gauge as read; a counter's first reading has no increase, then the increase, and after a reset the new count")
    func readings() {
        var previous = VigilMetricSampler.Previous()
        let names: Set = ["vigil_ingest_events_accepted_total", "vigil_notification_outbox", "nan_gauge"]
        let first = VigilMetricSampler.readings(PrometheusText.parse(Self.text), names: names, previous: &previous)
        #expect(first.map(\.value) == [nil, 4, 1])
        let grown = Self.text.replacingOccurrences(of: "accepted_total 120", with: "accepted_total 150")
        #expect(VigilMetricSampler.readings(PrometheusText.parse(grown), names: names, previous: &previous).first?.value == 30)
        let restarted = Self.text.replacingOccurrences(of: "accepted_total 120", with: "accepted_total 6")
        #expect(VigilMetricSampler.readings(PrometheusText.parse(restarted), names: names, previous: &previous).first?.value == 6)
    }

    @Test("a labelled series that appears under a name already sampled counts from 0; a name sampled again after a pause starts afresh")
    func newSeries() {
        var previous = VigilMetricSampler.Previous()
        let names: Set = ["vigil_notifications_failed_total"]
        let none = "# TYPE vigil_notifications_failed_total counter\n"
        #expect(VigilMetricSampler.readings(PrometheusText.parse(none), names: names, previous: &previous).isEmpty)
        let first = none + #"vigil_notifications_failed_total{destination_id="d1"} 3"#
        #expect(VigilMetricSampler.readings(PrometheusText.parse(first), names: names, previous: &previous).map(\.value) == [3])
        let more = none + #"vigil_notifications_failed_total{destination_id="d1"} 5"#
        #expect(VigilMetricSampler.readings(PrometheusText.parse(more), names: names, previous: &previous).map(\.value) == [2])
        // Not sampled for a while, then again: no increase from the old reading.
        _ = VigilMetricSampler.readings(PrometheusText.parse(more), names: [], previous: &previous)
        let later = none + #"vigil_notifications_failed_total{destination_id="d1"} 500"#
        #expect(VigilMetricSampler.readings(PrometheusText.parse(later), names: names, previous: &previous).map(\.value) == [nil])
    }

    @Test("samples in SQLite read back per period: a counter's Sum is its increase, a gauge filtered by label, a missing period nil; a typo refused")
    func datapoints() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let clock = ManualWallClock(millis: 1_000_000)
        let store = MetricAlarmStore(detections: DetectionStore(database: database, clock: clock), minimumPeriodSeconds: 1)
        let counter = Atomic<Int>(100)
        store.sampler.setSource {
            let accepted = counter.load(ordering: .relaxed)
            return Self.text.replacingOccurrences(of: "accepted_total 120", with: "accepted_total \(accepted)")
        }
        let names: Set = ["vigil_ingest_events_accepted_total", "vigil_notification_outbox"]
        // Periods of 10 s from 1,000,000: samples every 5 s; the counter grows 10, then 20, then nothing; a gap.
        for (offset, value) in [(0, 100), (5_000, 110), (10_000, 120), (15_000, 140), (20_000, 140)] {
            counter.store(value, ordering: .relaxed)
            #expect(try await store.sampler.sample(names: names, now: 1_000_000 + Int64(offset)) == 3)
        }
        let increase = try MetricAlarmDefinition.decode(try JSONParser.parse("""
            {"alarm_name":"ingest","metric":{"source":"vigil_metrics","name":"vigil_ingest_events_accepted_total","statistic":"Sum"},
             "period_seconds":10,"evaluation_periods":2,"comparison_operator":"GreaterThanThreshold","threshold":0}
            """), minimumPeriodSeconds: 1)
        // The range is the last complete periods before now (40,000 past the start): [1,010,000, …, 1,030,000).
        let values = try await store.datapoints(increase, now: 1_040_000)
        #expect(values.last?.0 == 1_030_000)
        #expect(values.suffix(3).map(\.1) == [30, 0, nil])
        let pending = try MetricAlarmDefinition.decode(try JSONParser.parse(MetricAlarmDefinitionTests.own.replacingOccurrences(of: #""period_seconds":60"#, with: #""period_seconds":10"#)), minimumPeriodSeconds: 1)
        #expect(try await store.datapoints(pending, now: 1_040_000).suffix(3).map(\.1) == [4, 4, nil])
        var failed = pending
        failed.filter = [("state", "failed")]
        #expect(try await store.datapoints(failed, now: 1_040_000).suffix(3).map(\.1) == [1, 1, nil])
        failed.filter = [("state", "nope")]
        #expect(try await store.datapoints(failed, now: 1_040_000).allSatisfy { $0.1 == nil })
        // Nothing named: nothing scraped or stored.
        #expect(try await store.sampler.sample(names: [], now: 1_050_000) == 0)
        await #expect(throws: VigilError.self) { try await store.sampler.requireKnown("vigil_ingest_events_acepted_total") }
        try await store.sampler.requireKnown("vigil_sequencer_commit_duration_seconds_count")
        // Kept a day and an hour.
        try await store.sampler.sample(names: names, now: 1_000_000 + VigilMetricSampler.keepMillis + 20_001)
        let oldest = try await database.pool.read { db in try Int64.fetchOne(db, sql: "SELECT min(sample_time) FROM vigil_metric_samples") }
        #expect(oldest == 1_000_000 + VigilMetricSampler.keepMillis + 20_001)
    }
}
