import Foundation
import Logging
import VigilCore
import VigilExport
import VigilServer
import VigilStore
import VigilTesting

/// (q) delivery to a local folder (and S3 with --s3-endpoint) and `vigil delivery verify` over it; (s) forwarding
/// throughput; (r) end-to-end delivery lag while 10,000 events/s are offered over HTTP.
enum DeliveryBenchmark {
    static func run(stored: Int, lagSeconds: Int, s3Endpoint: String?) async throws {
        let (path, _) = try await Benchmarks.storedEvents(stored, folder: nil)
        defer { TemporaryDirectory(existing: path).remove() }
        let database = try VigilDatabase.open(dataDirectory: path)
        let keyring = Keyring(dataDirectory: path, keyName: "vigil/bench")
        let signer = CheckpointSigner(ledger: LedgerStore(database: database), keyring: keyring, origin: "vigil/bench")
        try await signer.signNow()
        let lake = path + "/lake"
        let clock = SystemWallClock()
        let service = DeliveryService(configuration: DeliveryConfiguration(name: "bench", url: "file://" + lake),
                                      target: DirectoryTarget(root: lake), database: database, keyring: keyring, clock: clock,
                                      logger: Logger(label: "bench"))
        try await service.prepare()
        let began = ContinuousClock.now
        try await service.deliverPending()
        try await service.digestIfDue()
        let seconds = (ContinuousClock.now - began).seconds
        let stats = service.stats
        print(String(format: "(q) delivery to a local folder: %.0f events/s, %.1f MB/s (%d events in %d files, %.1f MB, %.2f s, one digest)",
                     Double(stats.events) / seconds, Double(stats.bytes) / seconds / 1e6, stats.events, stats.files, Double(stats.bytes) / 1e6, seconds))
        let verifyBegan = ContinuousClock.now
        let report = try await DeliveryVerifier(target: DirectoryTarget(root: lake), keys: try keyring.publicKeys()).verify()
        let verifySeconds = (ContinuousClock.now - verifyBegan).seconds
        print(String(format: "    vigil delivery verify: %.0f events/s (%.2f s; %@, %d checkpoint root recomputed)",
                     Double(stats.events) / verifySeconds, verifySeconds, report.failed ? "INVALID" : "valid", report.checkpointsMatched))
        if let s3Endpoint {
            // An existing bucket `vigil-bench` at the endpoint (moto: scripts/bench-delivery-s3), credentials from AWS_*.
            let environment = ProcessInfo.processInfo.environment
            let credentials = SigV4.Credentials(accessKeyID: environment["AWS_ACCESS_KEY_ID"] ?? "bench",
                                                secretAccessKey: environment["AWS_SECRET_ACCESS_KEY"] ?? "bench")
            var configuration = DeliveryConfiguration(name: "bench-s3", url: "s3://vigil-bench/audit")
            configuration.s3 = .init(endpoint: s3Endpoint, credentials: credentials)
            let s3 = DeliveryService(configuration: configuration, target: try configuration.target(), database: database, keyring: keyring,
                                     clock: clock, logger: Logger(label: "bench"))
            try await s3.prepare()
            let s3Began = ContinuousClock.now
            try await s3.deliverPending()
            try await s3.digestIfDue()
            let s3Seconds = (ContinuousClock.now - s3Began).seconds
            print(String(format: "    to S3 at %@: %.0f events/s, %.1f MB/s (%d files, %.2f s)", s3Endpoint, Double(s3.stats.events) / s3Seconds,
                         Double(s3.stats.bytes) / s3Seconds / 1e6, s3.stats.files, s3Seconds))
        }
        try await ForwardBenchmark.run(database: database, events: stored)
        try await endToEndLag(eventsPerSecond: 10_000, seconds: lagSeconds)
    }

    /// Offers `eventsPerSecond` in 1,000-event batches (4 in flight) to a server delivering every second, samples
    /// `vigil_delivery_lag_seconds` every 250 ms, and reports its largest value and the catch-up time after the load.
    static func endToEndLag(eventsPerSecond: Int, seconds: Int) async throws {
        let folder = try TemporaryDirectory(prefix: "vigil-bench-lake")
        defer { folder.remove() }
        var configuration = VigilConfiguration()
        var delivery = DeliveryConfiguration(name: "bench", url: "file://" + folder.path)
        delivery.intervalMillis = 1000
        configuration.deliveries = [delivery]
        configuration.sequencer.maxQueuedEvents = 1_000_000
        try await LiveServer.run(configuration: configuration) { server in
            let end = SystemWallClock().nowMillis() - 3_600_000
            let began = ContinuousClock.now
            let load = Task {
                await Benchmarks.offer(eventsPerSecond: eventsPerSecond, to: server, end: end) { ContinuousClock.now - began < .seconds(seconds) }
            }
            var worst = 0.0
            var samples: [Double] = []
            var loadEnded: ContinuousClock.Instant?
            var caughtUp: Duration?
            while caughtUp == nil, ContinuousClock.now - began < .seconds(seconds + 120) {
                try await Task.sleep(for: .milliseconds(250))
                let text = try await server.request(.GET, "/metrics").text
                let lag = text.split(separator: "\n").first { $0.hasPrefix("vigil_delivery_lag_seconds{") }
                    .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
                worst = max(worst, lag)
                samples.append(lag)
                if loadEnded == nil, ContinuousClock.now - began >= .seconds(seconds) { loadEnded = ContinuousClock.now }
                if let loadEnded, lag == 0 { caughtUp = ContinuousClock.now - loadEnded }
            }
            let stored = await load.value
            samples.sort()
            let p99 = samples.isEmpty ? 0 : samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
            print(String(format: "(r) delivery lag at %d events/s offered for %d s (%.0f stored/s, delivery every 1 s): sampled lag p50 %.2f s, p99 %.2f s, max %.2f s; caught up %.1f s after the load",
                         eventsPerSecond, seconds, Double(stored) / Double(seconds), samples.isEmpty ? 0 : samples[samples.count / 2], p99, worst,
                         caughtUp?.seconds ?? -1))
        }
    }
}
