import Foundation
import GRDB
import Testing
import VigilCore
import VigilLedger
import VigilStore
import VigilTesting
@testable import VigilExport

/// Delivery against a real SQLite file and a real folder, then verified as `vigil delivery verify` does.
@Suite("Delivery")
struct DeliveryServiceTests {
    @Test("every committed event is delivered once, in files of its workspace and date; the digest lists them and the checkpoint recomputes")
    func deliversAll() async throws {
        let fixture = try await DeliveryFixture(batchEvents: 30)
        defer { fixture.remove() }
        try await fixture.commit(0..<100)
        try await fixture.deliverAndDigest()
        let state = try #require(try await DeliveryStore(database: fixture.database).state(name: "lake"))
        #expect(state.deliveredSeq == 99)
        #expect(state.pending == nil)
        let keys = try await fixture.target.list()
        let logs = keys.filter { DeliveryLayout.parseLogKey($0) != nil }
        // Four batches (30, 30, 30, 10) of four workspaces over several dates.
        #expect(Set(logs.compactMap { DeliveryLayout.parseLogKey($0)?.batch }) == [0...29, 30...59, 60...89, 90...99])
        var ids: [String] = []
        for key in logs {
            for line in try fixture.lines(of: key) {
                guard case .string(let id)? = try JSONParser.parse(Array(line.utf8))["eventId"] else { Issue.record("\(line)"); continue }
                ids.append(id)
                #expect(key.contains("date=\(Timestamp.formatDate(millis: Int64(try JSONParser.parse(Array(line.utf8))["timestamp"]!.numberText!)!))/"))
            }
        }
        #expect(ids.count == 100)
        #expect(Set(ids).count == 100)
        #expect(fixture.service.stats.events == 100)
        let report = try await fixture.verify()
        #expect(!report.failed, "\(report.lines.filter { $0.problem != nil })")
        #expect(report.covered == 0...99)
        #expect(report.validDigests == 1)
        #expect(report.files == logs.count)
        #expect(report.checkpointsMatched == 1)
        #expect(try await fixture.service.lag().events == 0)
    }

    @Test("a batch interrupted mid-upload is redone with the same names and bytes: nothing lost, nothing twice")
    func redoesInterruptedBatch() async throws {
        let fixture = try await DeliveryFixture(batchEvents: 50)
        defer { fixture.remove() }
        try await fixture.commit(0..<80)
        // The crash: the batch was planned and one of its files half written, then the process died.
        let store = DeliveryStore(database: fixture.database)
        try await store.plan(name: "lake", batch: 0...49)
        let torn = DeliveryLayout.logKey(workspace: "1000000", date: "2026-11-30", batch: 0...49)
        try await fixture.target.put(torn, bytes: Array("{\"version\":\"2.0\",\"tim".utf8))
        // More events arrived meanwhile: the redone batch must still be exactly 0…49.
        try await fixture.commit(80..<120)
        try await fixture.deliverAndDigest()
        let batches = Set(try await fixture.target.list().compactMap { DeliveryLayout.parseLogKey($0)?.batch })
        #expect(batches == [0...49, 50...99, 100...119])
        #expect(try fixture.lines(of: torn).allSatisfy { $0.hasSuffix("}") })
        let report = try await fixture.verify()
        #expect(!report.failed, "\(report.lines.filter { $0.problem != nil })")
        #expect(report.covered == 0...119)
    }

    @Test("a digest interrupted after its files were written is rewritten the same way: the chain does not fork")
    func redoesInterruptedDigest() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        try await fixture.commit(0..<10)
        try await fixture.deliverAndDigest()
        try await fixture.commit(10..<20)
        try await fixture.service.deliverPending()
        let store = DeliveryStore(database: fixture.database)
        fixture.clock.advance(byMillis: fixture.service.configuration.digestIntervalMillis)
        let plan = try await store.planDigest(name: "lake", endMillis: fixture.clock.nowMillis())
        // Delivered after the plan: belongs to the next digest, not this one.
        try await fixture.commit(20..<25)
        try await fixture.service.deliverPending()
        fixture.clock.advance(byMillis: 5000)
        try await fixture.service.digestIfDue()  // the pending digest, at its planned time
        let state = try #require(try await store.state(name: "lake"))
        #expect(state.head?.endMillis == plan.endMillis)
        #expect(state.pendingDigest == nil)
        fixture.clock.advance(byMillis: fixture.service.configuration.digestIntervalMillis)
        try await fixture.service.digestIfDue()
        let report = try await fixture.verify()
        #expect(!report.failed, "\(report.lines.filter { $0.problem != nil })")
        #expect(report.validDigests == 3)
        #expect(report.covered == 0...24)
    }

    @Test("digests come every interval, empty when nothing was delivered; the first starts the chain")
    func emptyDigests() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        try await fixture.service.digestIfDue()
        try await fixture.service.digestIfDue()  // not due yet
        #expect(fixture.service.stats.digests == 1)
        fixture.clock.advance(byMillis: fixture.service.configuration.digestIntervalMillis)
        try await fixture.service.digestIfDue()
        #expect(fixture.service.stats.digests == 2)
        let digests = try await fixture.target.list().filter(DeliveryLayout.isDigestKey)
        #expect(digests.count == 2)
        let first = try DeliveryDigest(bytes: try #require(try await fixture.target.get(digests[0])))
        let second = try DeliveryDigest(bytes: try #require(try await fixture.target.get(digests[1])))
        #expect(first.previousObject == nil && first.files.isEmpty && first.checkpoint == nil)
        #expect(second.previousObject == digests[0])
        let report = try await fixture.verify()
        #expect(!report.failed)
        #expect(report.summary.contains("2/2 digest files valid"))
    }

    @Test("a destination name already delivering elsewhere refuses to start; a failed upload throws and is retried whole")
    func refusals() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        let store = DeliveryStore(database: fixture.database)
        await #expect(throws: VigilError.self) { try await store.open(name: "lake", url: "file:///elsewhere", now: 0) }
        try await fixture.commit(0..<5)
        FileManager.default.createFile(atPath: fixture.folder.file("blocked"), contents: Data())
        let broken = DeliveryService(configuration: DeliveryConfiguration(name: "broken", url: "file://" + fixture.folder.file("blocked")),
                                     target: DirectoryTarget(root: fixture.folder.file("blocked")), database: fixture.database,
                                     keyring: fixture.keyring, clock: fixture.clock, logger: .init(label: "test"))
        try await broken.prepare()
        await #expect(throws: VigilError.self) { try await broken.deliverPending() }
        let state = try #require(try await store.state(name: "broken"))
        #expect(state.deliveredSeq == -1)
        #expect(state.pending == 0...4)
        #expect(try await broken.lag().events == 5)
        let metrics = await DeliveryMetrics.text([fixture.service, broken])
        #expect(metrics.contains(#"vigil_delivery_lag_events{destination="broken"} 5"#))
        #expect(metrics.contains(#"vigil_delivery_events_total{destination="lake"} 0"#))
    }
}

extension JSONValue {
    var numberText: String? { if case .number(let text) = self { text } else { nil } }
}
