import Foundation
import Testing
import VigilCore
import VigilLedger
import VigilStore
import VigilTesting
@testable import VigilExport

/// The pure parts: the delivery JSON shape, the layout, batches split into files, digests.
struct DeliveryShapeTests {
    @Test("an event written in the delivery shape reads back as the same event, with the same canonical bytes (so the same ledger leaf)")
    func roundTrip() throws {
        var events = (0..<40).map { EventFixtures.event($0, endMillis: 1_796_000_000_000) }
        events.append(AuditEvent(version: nil, eventTimeMillis: 1, serviceName: "accounts", actionName: "login", eventID: "bare"))
        events.append(AuditEvent(
            workspaceID: nil, eventTimeMillis: 5, userIdentity: UserIdentity(), serviceName: "s\u{1B}[31m", actionName: "a\"b\n",
            requestParams: [], response: EventResponse(), eventID: "empty-structs", identityMetadata: IdentityMetadata()))
        for event in events {
            var writer = JSONWriter()
            event.writeDeliveryJSON(into: &writer)
            #expect(!writer.string.contains("\n"), "one line per event")
            var problems: [ValidationProblem] = []
            let decoded = EventDecoder().decode(try JSONParser.parse(writer.bytes), index: 0, nowMillis: Int64.max / 4, problems: &problems)
            #expect(problems.isEmpty, "\(problems)")
            #expect(decoded == event)
            #expect(decoded?.canonicalBytes() == event.canonicalBytes())
        }
    }

    @Test("the delivery shape is Databricks' camelCase: timestamp in epoch ms, orgId, requestParams of strings, absent values left out")
    func camelCase() throws {
        let event = EventFixtures.event(0, endMillis: 1_796_000_000_000)
        var writer = JSONWriter()
        event.writeDeliveryJSON(into: &writer)
        let value = try JSONParser.parse(writer.bytes)
        #expect(value["timestamp"] == .number("1796000000000"))
        #expect(value["orgId"] == .string(event.workspaceID!))
        #expect(value["serviceName"] == .string(event.serviceName))
        #expect(value["userIdentity"]?["email"] == .string("user0@example.com"))
        #expect(value["response"]?["statusCode"] == .number("403"))
        #expect(value["response"]?["errorMessage"] == .string("PERMISSION_DENIED"))
        #expect(value["response"]?["result"] == nil)
        #expect(value["service_name"] == nil && value["event_time"] == nil)
    }

    @Test("layout: workspaceId=/date=/auditlogs_<batch>.json, account-level under 0, odd workspace ids encoded; keys parse back")
    func layout() {
        #expect(DeliveryLayout.partition(workspaceID: "1234") == "1234")
        #expect(DeliveryLayout.partition(workspaceID: nil) == "0")
        #expect(DeliveryLayout.partition(workspaceID: "") == "0")
        #expect(DeliveryLayout.partition(workspaceID: "../x y") == "..%2Fx%20y")
        let key = DeliveryLayout.logKey(workspace: "7", date: "2026-11-30", batch: 10...19)
        #expect(key == "workspaceId=7/date=2026-11-30/auditlogs_10-19.json")
        let parsed = DeliveryLayout.parseLogKey(key)
        #expect(parsed?.workspace == "7" && parsed?.date == "2026-11-30" && parsed?.batch == 10...19)
        #expect(DeliveryLayout.parseLogKey("workspaceId=7/date=2026-11-30/auditlogs_19-10.json") == nil)
        #expect(DeliveryLayout.parseLogKey("workspaceId=7/auditlogs_1-2.json") == nil)
        #expect(DeliveryLayout.parseLogKey("notes.txt") == nil)
        let digest = DeliveryLayout.digestKey(endMillis: 1_796_000_000_000)
        #expect(digest == "_digests/2026/11/30/vigil-digest_20261130T005320Z.json")
        #expect(DeliveryLayout.isDigestKey(digest))
        #expect(!DeliveryLayout.isDigestKey(key))
    }

    @Test("a batch becomes one file per workspace and date, lines in seq order, seq runs recorded; the same batch gives the same bytes")
    func batches() throws {
        let stored = (0..<24).map { n in
            StoredEvent(seq: Int64(100 + n), event: EventFixtures.event(n, endMillis: 1_796_000_000_000, spacingMillis: 3_600_000), receivedMillis: 0)
        }
        let files = DeliveryBatchBuilder.files(batch: 100...123, events: stored)
        // Event 0 at 00:53 on the 30th, events 1…23 an hour apart on the 29th in four workspaces (n % 4).
        #expect(files.count == 5)
        #expect(files.map(\.record.eventCount).reduce(0, +) == 24)
        let first = try #require(files.first { $0.key == "workspaceId=1000000/date=2026-11-30/auditlogs_100-123.json" })
        #expect(first.record.seqRanges == [100...100])
        let older = try #require(files.first { $0.key == "workspaceId=1000001/date=2026-11-29/auditlogs_100-123.json" })
        #expect(older.record.seqRanges == [101...101, 105...105, 109...109, 113...113, 117...117, 121...121])
        #expect(String(decoding: older.bytes, as: UTF8.self).split(separator: "\n").count == 6)
        #expect(DeliveryBatchBuilder.files(batch: 100...123, events: stored) == files)
        // Consecutive seqs in one file form one run.
        let one = (0..<5).map { StoredEvent(seq: Int64($0), event: AuditEvent(workspaceID: "1", eventTimeMillis: 0, serviceName: "s", actionName: "a", eventID: "e\($0)"), receivedMillis: 0) }
        #expect(DeliveryBatchBuilder.files(batch: 0...4, events: one).map(\.record.seqRanges) == [[0...4]])
    }

    @Test("a digest reads back as written; its signature verifies with the key and fails for other bytes, another key or another link")
    func digest() throws {
        let record = DeliveredFileRecord(key: "workspaceId=1/date=2026-11-30/auditlogs_0-9.json", sha256: String(repeating: "ab", count: 32),
                                         batch: 0...9, seqRanges: [0...4, 7...9], eventCount: 8, oldestEventMillis: 1000, newestEventMillis: 2000)
        let digest = DeliveryDigest(startMillis: 0, endMillis: 1_796_000_000_000, object: DeliveryLayout.digestKey(endMillis: 1_796_000_000_000),
                                    keyFingerprint: "0011aabb", previousObject: "_digests/x.json", previousHash: "ff", previousSignature: "c2ln",
                                    checkpoint: "note\n", files: [record])
        #expect(try DeliveryDigest(bytes: digest.bytes) == digest)
        let empty = DeliveryDigest(startMillis: 0, endMillis: 1000, object: "_digests/1970/01/01/vigil-digest_19700101T000001Z.json",
                                   keyFingerprint: "00", previousObject: nil, previousHash: nil, previousSignature: nil, checkpoint: nil, files: [])
        let emptyValue = try JSONParser.parse(empty.bytes)
        #expect(emptyValue["logFiles"] == .array([]))
        #expect(emptyValue["oldestEventTime"] == .null && emptyValue["previousDigestHashAlgorithm"] == .null)
        #expect(throws: (any Error).self) { try DeliveryDigest(bytes: Array(#"{"logFiles":[{"object":"x"}]}"#.utf8)) }
        #expect(throws: (any Error).self) { try DeliveryDigest(bytes: Array("not json".utf8)) }

        let key = NoteKey(name: "vigil/test", privateKey: .init())
        let other = NoteKey(name: "vigil/test", privateKey: .init())
        let bytes = digest.bytes
        let signed = try DeliveryDigest.sign(endMillis: digest.endMillis, object: digest.object, bytes: bytes, previousSignature: "c2ln", key: key)
        #expect(DeliveryDigest.signature(ofLine: signed.line) == signed.signature)
        func verifies(_ key: NoteKey, bytes: [UInt8], previous: String?) -> Bool {
            let body = DeliveryDigest.signedBody(endMillis: digest.endMillis, object: digest.object, bytes: bytes, previousSignature: previous)
            return (try? key.verify(note: body + "\n" + signed.line)) != nil
        }
        #expect(verifies(key, bytes: bytes, previous: "c2ln"))
        #expect(!verifies(key, bytes: bytes + [0x20], previous: "c2ln"))
        #expect(!verifies(key, bytes: bytes, previous: nil))
        #expect(!verifies(other, bytes: bytes, previous: "c2ln"))
        #expect(DeliveryDigest.signature(ofLine: "garbage") == nil)
    }

    @Test("a folder target writes whole files, lists them (not its temporary files), and refuses a key that leaves the root")
    func directoryTarget() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let target = DirectoryTarget(root: folder.path + "/lake/")
        try await target.put("a/b/c.json", bytes: Array("one\n".utf8))
        try await target.put("a/b/c.json", bytes: Array("two\n".utf8))
        FileManager.default.createFile(atPath: folder.path + "/lake/a/.tmp-leftover", contents: Data("x".utf8))
        #expect(try await target.get("a/b/c.json") == Array("two\n".utf8))
        #expect(try await target.get("a/none.json") == nil)
        #expect(try await target.list() == ["a/b/c.json"])
        #expect(target.url(of: "a/b/c.json") == "file://\(folder.path)/lake/a/b/c.json")
        for bad in ["../x", "/etc/passwd", "a//b", "a/./b", ""] {
            await #expect(throws: VigilError.self) { try await target.put(bad, bytes: []) }
        }
        // A root that is a file: the put fails with the path and the reason.
        FileManager.default.createFile(atPath: folder.path + "/plain", contents: Data())
        await #expect(throws: VigilError.self) { try await DirectoryTarget(root: folder.path + "/plain").put("x/y.json", bytes: [1]) }
        #expect(throws: VigilError.self) { try DeliveryConfiguration.target(url: "s3://bucket/prefix") }
        #expect(throws: VigilError.self) { try DeliveryConfiguration.target(url: "file://relative") }
        #expect(throws: VigilError.self) { try DeliveryConfiguration.target(url: "ftp://x") }
    }
}
