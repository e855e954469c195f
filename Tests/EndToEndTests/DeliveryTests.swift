import Foundation
import Testing
import VigilCore
import VigilExport
import VigilServer
import VigilTesting

/// Delivery run by the server (`delivery:` in the configuration), across a restart, checked by the `vigil delivery
/// verify` command as a user runs it; and `vigil serve --config` refusing a bad file.
@Suite("Delivery to a folder")
struct DeliveryTests {
    static func configuration(lake: String) -> VigilConfiguration {
        var configuration = VigilConfiguration()
        var delivery = DeliveryConfiguration(name: "lake", url: "file://" + lake)
        delivery.intervalMillis = 200
        delivery.digestIntervalMillis = 1000
        delivery.batchEvents = 100
        configuration.deliveries = [delivery]
        configuration.checkpointInterval = .seconds(1)
        return configuration
    }

    static func lines(in lake: String) throws -> [String] {
        let target = DirectoryTarget(root: lake)
        var lines: [String] = []
        for key in try FileManager.default.subpathsOfDirectory(atPath: lake) where DeliveryLayout.parseLogKey(key) != nil {
            lines += try String(contentsOfFile: target.root + "/" + key, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        return lines
    }

    @Test("events are delivered while the server runs and after a restart, each once; verify passes, then fails on an edited file")
    func acrossRestart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (data, lake) = (folder.file("data"), folder.file("lake"))
        let end = SystemWallClock().nowMillis() - 60_000
        for round in 0..<2 {
            try await LiveServer.run(configuration: Self.configuration(lake: lake), dataDirectory: data) { server in
                let ingest = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events((round * 250)..<(round * 250 + 250), end: end))
                #expect(ingest.status == 200)
                try await AppLogsTests.eventually {
                    try Self.lines(in: lake).filter { $0.contains("\"serviceName\":\"vigil\"") == false }.count == (round + 1) * 250
                }
                let metrics = try await server.request(.GET, "/metrics").text
                #expect(metrics.contains(#"vigil_delivery_digests_total{destination="lake"}"#))
                #expect(metrics.contains(#"vigil_delivery_failures_total{destination="lake"} 0"#))
            }
        }
        // Everything committed before the second stop was delivered at the latest by a third start.
        try await LiveServer.run(configuration: Self.configuration(lake: lake), dataDirectory: data) { server in
            try await AppLogsTests.eventually {
                try await server.request(.GET, "/metrics").text.contains(#"vigil_delivery_lag_events{destination="lake"} 0"#)
            }
            try await Task.sleep(for: .milliseconds(1500))  // a digest after the last file
        }
        let ids = try Self.lines(in: lake).map { line -> String in
            guard case .string(let id)? = try JSONParser.parse(Array(line.utf8))["eventId"] else { return "" }
            return id
        }
        #expect(Set(ids).count == ids.count, "no event twice")
        #expect(ids.count > 500)

        let verified = try await CommandRunner.run(["delivery", "verify", "--source", lake, "--data-dir", data])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("Results found for seq 0 to \(ids.count - 1)"))
        #expect(verified.stdout.contains("ledger checkpoint(s) recomputed from the delivered events"))
        #expect(verified.stderr.isEmpty)

        let key = try #require(try FileManager.default.subpathsOfDirectory(atPath: lake).first { DeliveryLayout.parseLogKey($0) != nil })
        let path = lake + "/" + key
        try (try String(contentsOfFile: path, encoding: .utf8) + "{\"serviceName\":\"x\"}\n").write(toFile: path, atomically: true, encoding: .utf8)
        let tampered = try await CommandRunner.run(["delivery", "verify", "--source", "file://" + lake, "--data-dir", data])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("Log file\tfile://\(path)\tINVALID: hash value doesn't match"))
        #expect(tampered.stdout.contains("log files INVALID"))

        let keyless = try await CommandRunner.run(["delivery", "verify", "--source", lake, "--data-dir", folder.file("nowhere")])
        #expect(keyless.status == 2)
        #expect(keyless.stderr.contains("no trusted keys"))
        let missing = try await CommandRunner.run(["delivery", "verify", "--source", folder.file("absent"), "--data-dir", data])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("is not a folder"))
    }

    @Test("vigil serve --config refuses a bad file before listening, naming every problem with its line; a missing file too")
    func badConfiguration() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try """
            delivery:
              - name: lake
                url: s3://B
              - name: lake
                url: file:///tmp/x
                interval: often
            sources:
              kafka: {brokers: ["x:9092"]}
            """.write(toFile: folder.file("vigil.yaml"), atomically: true, encoding: .utf8)
        let result = try await CommandRunner.run(["serve", "--config", folder.file("vigil.yaml"), "--data-dir", folder.file("data"), "--port", "0"])
        #expect(result.status == 1)
        let file = folder.file("vigil.yaml")
        #expect(result.stderr.contains("\(file):3: delivery[0].url: the bucket name must be 3 to 63 characters"))
        #expect(result.stderr.contains("\(file):4: delivery[1].name: lake is used by an earlier entry"))
        #expect(result.stderr.contains("\(file):6: delivery[1].interval: want a positive duration"))
        #expect(result.stderr.contains("\(file):8: sources.kafka: is not a source"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("data")), "nothing started")
        let missing = try await CommandRunner.run(["serve", "--config", folder.file("none.yaml"), "--data-dir", folder.file("data")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("none.yaml: cannot read the file"))
    }

    @Test("a destination that cannot be written falls behind: lag and failures in /metrics, a lag alarm goes to ALARM, the failure is logged")
    func lagAlarm() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // The folder's path is a file: every write fails.
        FileManager.default.createFile(atPath: folder.file("blocked"), contents: Data())
        var configuration = MetricAlarmsTests.configuration()
        var delivery = DeliveryConfiguration(name: "blocked", url: "file://" + folder.file("blocked"))
        delivery.intervalMillis = 200
        configuration.deliveries = [delivery]
        try await LiveServer.run(configuration: configuration) { server in
            let put = try await server.request(.POST, "/api/2.0/vigil/metric-alarms", json: """
                {"alarm_name":"delivery-behind","metric":{"source":"vigil_metrics","name":"vigil_delivery_lag_events","statistic":"Maximum",
                 "filter":{"destination":"blocked"}},"period_seconds":1,"evaluation_periods":1,
                 "comparison_operator":"GreaterThanThreshold","threshold":0,"treat_missing_data":"notBreaching"}
                """)
            #expect(put.status == 200, "\(put.text)")
            _ = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events(0..<10, end: SystemWallClock().nowMillis() - 60_000))
            try await AppLogsTests.eventually(timeout: .seconds(30)) {
                try await server.request(.GET, "/api/2.0/vigil/metric-alarms/delivery-behind").json()["state"] == .string("ALARM")
            }
            let metrics = try await server.request(.GET, "/metrics").text
            #expect(!metrics.contains(#"vigil_delivery_failures_total{destination="blocked"} 0"#))
            #expect(!metrics.contains(#"vigil_delivery_lag_events{destination="blocked"} 0"#))
            #expect(metrics.contains(#"vigil_delivery_events_total{destination="blocked"} 0"#))
        }
    }

    @Test("a delivery name moved to another folder refuses the start: its cursor and digest chain belong to the first")
    func renamedLocation() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try await LiveServer.run(configuration: Self.configuration(lake: folder.file("one")), dataDirectory: folder.file("data")) { _ in }
        await #expect(throws: VigilError.self) {
            try await LiveServer.run(configuration: Self.configuration(lake: folder.file("two")), dataDirectory: folder.file("data")) { _ in }
        }
    }
}
