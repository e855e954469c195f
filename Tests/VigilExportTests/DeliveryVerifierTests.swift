import Foundation
import Testing
import VigilCore
import VigilLedger
import VigilStore
import VigilTesting
@testable import VigilExport

/// Tampering with a delivery, each way `aws cloudtrail validate-logs` is tested (deleted links: one, two, the
/// oldest, the newest), and the ways a folder can be changed: a file edited, removed or planted, a digest moved.
@Suite("Delivery verification")
struct DeliveryVerifierTests {
    /// Five digests, each after ten more events.
    static func delivered() async throws -> (DeliveryFixture, digests: [String]) {
        let fixture = try await DeliveryFixture()
        for round in 0..<5 {
            try await fixture.commit((round * 10)..<(round * 10 + 10))
            try await fixture.deliverAndDigest()
        }
        let digests = try await fixture.target.list().filter(DeliveryLayout.isDigestKey)
        return (fixture, digests)
    }

    func problems(_ report: DeliveryVerification) -> [String] {
        report.lines.compactMap { line in line.problem.map { "\(line.kind): \($0)" } }
    }

    @Test("an untouched delivery is valid: five digests, every file, seq 0…49 and each checkpoint recomputed")
    func untouched() async throws {
        let (fixture, digests) = try await Self.delivered()
        defer { fixture.remove() }
        #expect(digests.count == 5)
        let report = try await fixture.verify()
        #expect(problems(report) == [])
        #expect(report.covered == 0...49)
        #expect(report.validDigests == 5)
        #expect(report.checkpointsMatched == 5)
    }

    @Test("an edited, a removed and a planted log file are each reported; so is an object Vigil never writes")
    func files() async throws {
        let (fixture, _) = try await Self.delivered()
        defer { fixture.remove() }
        let logs = try await fixture.target.list().filter { DeliveryLayout.parseLogKey($0) != nil }
        let edited = fixture.target.root + "/" + logs[0]
        try String(contentsOfFile: edited, encoding: .utf8).replacingOccurrences(of: "user", with: "resu").write(toFile: edited, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: fixture.target.root + "/" + logs[1])
        try await fixture.target.put("workspaceId=1000000/date=2026-11-30/auditlogs_3-4.json", bytes: Array("{}\n".utf8))
        try await fixture.target.put("README.txt", bytes: Array("hi".utf8))
        // Spark reads every file in a partition folder: a .sig there is no signature, it is planted data.
        try await fixture.target.put("workspaceId=1000000/date=2026-11-30/forged.sig", bytes: Array("{}\n".utf8))
        let report = try await fixture.verify()
        #expect(report.failed)
        let found = problems(report)
        #expect(found.contains("Log file: hash value doesn't match"))
        #expect(found.contains("Log file: not found"))
        #expect(found.contains("Log file: not listed in any digest (an extra file)"))
        #expect(found.filter { $0 == "Object: not a file Vigil delivers (an extra object)" }.count == 2)
        #expect(report.validFiles == report.files - 2)
        #expect(report.checkpointsMatched == 0, "roots are not recomputed from files known to be bad")
    }

    @Test("deleted digests: one in the middle, two in a row, the oldest; each is named as not found (by the next link or its leftover signature)")
    func deletedLinks() async throws {
        for (name, removed) in [("middle", [2]), ("two in a row", [1, 2]), ("oldest", [0])] {
            let (fixture, digests) = try await Self.delivered()
            defer { fixture.remove() }
            for index in removed { try FileManager.default.removeItem(atPath: fixture.target.root + "/" + digests[index]) }
            let report = try await fixture.verify()
            // Each is named: by the next digest's link, or by the signature it left behind.
            let missing = report.lines.filter { $0.problem?.hasPrefix("not found") == true }
            #expect(Set(missing.map(\.location)) == Set(removed.map { fixture.target.url(of: digests[$0]) }), "\(name)")
            #expect(missing.count == removed.count, "\(name): each once")
            // The files those digests listed are now in no digest: a gap, and extra files.
            #expect(report.lines.contains { $0.kind == "Events" && $0.problem?.contains("gap") == true }, "\(name)")
            #expect(report.failed, "\(name)")
        }
    }

    @Test("the newest digest deleted: with its signature left behind it is caught; with both gone its files read as not yet covered, as CloudTrail cannot tell either (documented)")
    func deletedHead() async throws {
        let (fixture, digests) = try await Self.delivered()
        defer { fixture.remove() }
        try FileManager.default.removeItem(atPath: fixture.target.root + "/" + digests[4])
        var report = try await fixture.verify()
        #expect(problems(report) == ["Digest file: not found, but its signature is there (a deleted digest)"])
        try FileManager.default.removeItem(atPath: fixture.target.root + "/" + digests[4] + ".sig")
        report = try await fixture.verify()
        #expect(!report.failed)
        #expect(report.covered == 0...39)
        #expect(report.lines.contains { $0.note?.contains("not yet covered") == true })
    }

    /// The folder as listed between a live delivery's two writes of a digest: its signature, not yet the digest.
    struct ListedMidDigest: DeliveryTarget {
        let inner: any DeliveryTarget
        let hidden: String
        var displayURL: String { inner.displayURL }
        func put(_ key: String, bytes: [UInt8]) async throws { try await inner.put(key, bytes: bytes) }
        func get(_ key: String) async throws -> [UInt8]? { try await inner.get(key) }
        func list() async throws -> [String] { try await inner.list().filter { $0 != hidden } }
    }

    @Test("a digest written while verify lists the folder (its signature seen, not yet it) is a note for next time, not a deletion")
    func digestWrittenDuringListing() async throws {
        let (fixture, digests) = try await Self.delivered()
        defer { fixture.remove() }
        let verifier = DeliveryVerifier(target: ListedMidDigest(inner: fixture.target, hidden: digests[4]), keys: try fixture.keyring.publicKeys())
        let report = try await verifier.verify()
        #expect(problems(report) == [])
        #expect(report.lines.contains { $0.note?.contains("written while this run listed the bucket") == true })
        #expect(report.covered == 0...39)
        // The summary counts it as a digest, and only the newest digest's files as log files not yet covered.
        #expect(report.summary.contains("1 digest file(s) written while this run listed the bucket, verified next time"), "\(report.summary)")
        let pendingFiles = report.lines.filter { $0.kind == "Log file" && $0.note != nil }.count
        #expect(report.summary.contains("\(pendingFiles) log file(s) delivered after the newest digest, not yet covered"), "\(report.summary)")
    }

    @Test("a digest moved, edited, unsigned, signed by another key or trusted by none is refused with the reason")
    func badDigests() async throws {
        let (fixture, digests) = try await Self.delivered()
        defer { fixture.remove() }
        let root = fixture.target.root + "/"
        // Moved: a copy under another name (the original stays, so the chain itself is intact).
        let moved = "_digests/2026/11/30/vigil-digest_20261130T235959Z.json"
        try FileManager.default.copyItem(atPath: root + digests[1], toPath: root + moved)
        try FileManager.default.copyItem(atPath: root + digests[1] + ".sig", toPath: root + moved + ".sig")
        var report = try await fixture.verify()
        #expect(problems(report).contains { $0.contains("has been moved from its original location") })
        try FileManager.default.removeItem(atPath: root + moved)
        // Edited: a space added.
        let edited = try #require(FileManager.default.contents(atPath: root + digests[2]))
        try (edited + Data(" ".utf8)).write(to: URL(fileURLWithPath: root + digests[2]))
        report = try await fixture.verify()
        #expect(problems(report).contains("Digest file: signature verification failed"))
        try edited.write(to: URL(fileURLWithPath: root + digests[2]))
        // Unsigned.
        try FileManager.default.removeItem(atPath: root + digests[3] + ".sig")
        report = try await fixture.verify()
        #expect(problems(report).contains { $0.hasPrefix("Digest file: signature not found") })
        // Trusted by none: verified with another key.
        let stranger = NoteKey(name: "vigil/test", privateKey: .init())
        report = try await fixture.verify(keys: [stranger])
        #expect(problems(report).contains { $0.hasPrefix("Digest file: public key not found for fingerprint") })
    }

    @Test("files rewritten by someone holding the signing key still fail: the events do not produce the checkpoint's root")
    func forgedWithKey() async throws {
        let fixture = try await DeliveryFixture()
        defer { fixture.remove() }
        try await fixture.commit(0..<10)
        try await fixture.service.deliverPending()
        try await fixture.signer.signNow()
        // Edit a file, then record the edited file's hash as if it had been delivered so.
        let key = try #require(try await fixture.target.list().first { DeliveryLayout.parseLogKey($0) != nil })
        let path = fixture.target.root + "/" + key
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\"login\"", with: "\"logout\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try await fixture.database.pool.write { db in
            try db.execute(sql: "UPDATE delivery_files SET sha256 = ? WHERE object_key = ?", arguments: [Hex.encode(SHA256Digest.of(Array(text.utf8))), key])
        }
        fixture.clock.advance(byMillis: fixture.service.configuration.digestIntervalMillis)
        try await fixture.service.digestIfDue()
        let report = try await fixture.verify()
        #expect(problems(report) == ["Checkpoint: the delivered events do not produce its root"])
    }
}
