import Foundation
import GRDB
import Testing
import VigilCore
import VigilLedger
import VigilServer
import VigilStore
import VigilTesting

@Suite("Tamper-evident ledger")
struct LedgerTests {
    static func base64(_ value: JSONValue?) -> MerkleHash {
        guard case .string(let text)? = value, let data = Data(base64Encoded: text) else { return [] }
        return Array(data)
    }

    static func number(_ value: JSONValue?) -> UInt64 {
        guard case .number(let text)? = value else { return 0 }
        return UInt64(text) ?? 0
    }

    @Test("a third party can check a signed checkpoint, an inclusion proof and a consistency proof from the API's JSON alone")
    func independentRecomputation() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            _ = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events(0..<30, end: end))
            let first = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint").json()
            _ = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events(30..<45, end: end))
            let second = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint").json()

            // The note verifies with the published key, and says what the JSON says.
            let keys = try await server.request(.GET, "/api/2.0/vigil/ledger/keys").json()
            guard case .array(let keyList)? = keys["keys"], case .string(let verifierText)? = keyList.first?["verifier_key"],
                  case .string(let note)? = second["note"] else { Issue.record("no key or note"); return }
            let body = try NoteKey(verifierKey: verifierText).verify(note: note)
            let checkpoint = try Checkpoint(body: body)
            #expect(checkpoint.size == Self.number(second["tree_size"]))
            #expect(checkpoint.root == Self.base64(second["root_hash"]))

            // Leaf hash = SHA-256(0x00 ‖ canonical bytes), where the canonical bytes are the event as served.
            let eventID = EventFixtures.event(12, endMillis: end).eventID
            let served = try await server.request(.GET, "/api/2.0/audit/events/\(eventID)")
            let proof = try await server.request(.GET, "/api/2.0/vigil/ledger/proof/inclusion?event_id=\(eventID)&tree_size=\(checkpoint.size)").json()
            guard case .array(let hashes)? = proof["hashes"] else { Issue.record("no proof"); return }
            try MerkleProofs.verifyInclusion(index: Self.number(proof["leaf_index"]), size: checkpoint.size,
                                             leafHash: MerkleHasher.leafHash(served.body), proof: hashes.map { Self.base64($0) }, root: checkpoint.root)
            let withLedger = try await server.request(.GET, "/api/2.0/audit/events/\(eventID)?include=ledger").json()
            #expect(Self.base64(withLedger["leaf_hash"]) == MerkleHasher.leafHash(served.body))

            let firstSize = Self.number(first["tree_size"])
            let consistency = try await server.request(.GET, "/api/2.0/vigil/ledger/proof/consistency?first=\(firstSize)&second=\(checkpoint.size)").json()
            guard case .array(let steps)? = consistency["hashes"] else { Issue.record("no consistency proof"); return }
            try MerkleProofs.verifyConsistency(first: firstSize, second: checkpoint.size, firstRoot: Self.base64(first["root_hash"]),
                                               secondRoot: checkpoint.root, proof: steps.map { Self.base64($0) })
            let tooBig = try await server.request(.GET, "/api/2.0/vigil/ledger/proof/inclusion?seq=0&tree_size=100000")
            #expect(tooBig.status == 400)
        }
    }

    @Test("checkpoints never go backwards and the signer refuses a tree that does not extend the last one")
    func signerRefusesInconsistency() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let database = try VigilDatabase.open(dataDirectory: folder.path)
        let ledger = LedgerStore(database: database)
        let signer = CheckpointSigner(ledger: ledger, keyring: Keyring(dataDirectory: folder.path, keyName: "test/log"),
                                      origin: "test/log", clock: FixedWallClock(millis: 1_000))
        _ = try await database.pool.write { db in try Sequencer.write([(0..<5).map { Self.prepared($0) }], in: db) }
        let first = try await signer.signNow()
        let second = try await signer.signNow()
        #expect(second.checkpoint.timestampMillis > first.checkpoint.timestampMillis)  // even with a frozen clock
        // A forged tree state (as if history had been rewritten) does not extend what the signer signed.
        _ = try await database.pool.write { db in try Sequencer.write([[Self.prepared(9)]], in: db) }
        let state = try await database.pool.read { db in try Data.fetchOne(db, sql: "SELECT compact_range FROM ledger_state") }
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE ledger_state SET compact_range = zeroblob(length(compact_range))")
        }
        await #expect(throws: VigilError.self) { try await signer.signNow() }
        #expect(try await ledger.allCheckpoints().count == 2)

        // A rewritten leaf under a signed root: a signer starting afresh rebuilds the signed tree from the
        // leaves and refuses too.
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE ledger_state SET compact_range = ?", arguments: [state])
            try db.execute(sql: "UPDATE ledger_leaves SET leaf_hash = zeroblob(32) WHERE seq = 1")
        }
        let restarted = CheckpointSigner(ledger: ledger, keyring: Keyring(dataDirectory: folder.path, keyName: "test/log"),
                                         origin: "test/log", clock: FixedWallClock(millis: 1_000))
        await #expect(throws: VigilError.self) { try await restarted.signNow() }
        #expect(try await ledger.allCheckpoints().count == 2)
    }

    static func prepared(_ n: Int) -> PreparedEvent {
        PreparedEvent(EventFixtures.event(n, endMillis: 1_700_000_000_000), receivedMillis: 1_700_000_000_000)
    }
}

/// Edits the SQLite file directly, then runs the real `vigil verify` on it.
@Suite("vigil verify on a tampered data folder")
struct TamperTests {
    /// A data folder with 20 ingested events and their self-audit records, and a signed checkpoint.
    static func makeLedger() async throws -> (TemporaryDirectory, treeSize: UInt64) {
        let folder = try TemporaryDirectory()
        let size = try await LiveServer.run(dataDirectory: folder.path) { server in
            _ = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events(0..<20, end: SystemWallClock().nowMillis()))
            let checkpoint = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint").json()
            return LedgerTests.number(checkpoint["tree_size"])
        }
        return (folder, size)
    }

    static func tamper(_ folder: TemporaryDirectory, _ sql: String) async throws {
        let database = try DatabaseQueue(path: folder.file("vigil.sqlite"))
        try await database.write { db in try db.execute(sql: sql) }
    }

    @Test("an untampered folder verifies with exit status 0")
    func clean() async throws {
        let (folder, _) = try await Self.makeLedger()
        defer { folder.remove() }
        let result = try await CommandRunner.run(["verify", "--data-dir", folder.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Result: VALID"))
    }

    @Test("each kind of tampering is reported exactly, with its range, and exit status 1", arguments: [
        ("change one byte of one event", "UPDATE audit_events SET action_name = 'logiN' WHERE seq = 7", "Seq 7: INVALID: modified"),
        ("change the derived event_date", "UPDATE audit_events SET event_date = '1999-01-01' WHERE seq = 4", "Seq 4: INVALID: modified"),
        ("corrupt a stored map", "UPDATE audit_events SET request_params = '{broken' WHERE seq = 6", "Seq 6: INVALID: modified"),
        ("delete one row", "DELETE FROM audit_events WHERE seq = 5", "Seq 5: INVALID: missing"),
        ("delete the last row", "DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)", "INVALID: missing"),
        ("swap two rows", "UPDATE audit_events SET seq = -1 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 9; UPDATE audit_events SET seq = 9 WHERE seq = -1",
         "Seq 3 to 9: INVALID: reordered"),
        ("insert a forged row", """
            INSERT INTO audit_events SELECT (SELECT max(seq) + 1 FROM audit_events), 'forged', event_time, event_date, account_id, workspace_id,
            version, source_ip_address, user_agent, session_id, user_email, user_subject_name, service_name, action_name, request_id,
            request_params, status_code, error_message, result, audit_level, run_by, run_as, acting_resource, present_structs, received_time
            FROM audit_events WHERE seq = 2
            """, "INVALID: inserted"),
        ("replace a checkpoint", "UPDATE checkpoints SET note = replace(note, 'Timestamp: ', 'Timestamp: 1') WHERE id = (SELECT max(id) FROM checkpoints)",
         "INVALID: bad signature"),
    ])
    func reportsTampering(_ name: String, _ sql: String, _ expected: String) async throws {
        let (folder, treeSize) = try await Self.makeLedger()
        defer { folder.remove() }
        try await Self.tamper(folder, sql)
        let result = try await CommandRunner.run(["verify", "--data-dir", folder.path])
        #expect(result.status == 1, "\(name): \(result.stdout)")
        let invalid = result.stdout.split(separator: "\n").filter { $0.hasPrefix("Seq") && $0.contains("INVALID") }
        #expect(invalid.count == 1, "\(name): \(result.stdout)")
        #expect(invalid.first?.contains(expected) == true, "\(name): \(result.stdout)")

        // An untouched event's proof still verifies against the signed root.
        let database = try VigilDatabase(path: folder.file("vigil.sqlite"), readOnly: true)
        let proof = try await LedgerStore(database: database).inclusionProof(seq: 1, treeSize: treeSize)
        let signed = try #require(try await LedgerStore(database: database).checkpoint(treeSize: treeSize)?.checkpoint.root)
        if !name.contains("checkpoint") {
            try MerkleProofs.verifyInclusion(index: 1, size: treeSize, leafHash: proof.leafHash, proof: proof.hashes, root: signed)
        }
    }

    @Test("usage errors exit with status 2")
    func usage() async throws {
        let result = try await CommandRunner.run(["verify", "--data-dir", "/nonexistent/vigil"])
        #expect(result.status == 2)
    }
}

@Suite("Background verifier")
struct BackgroundVerifierTests {
    @Test("a mismatch in a new range is audited as a security event and counted in /metrics")
    func reportsMismatch() async throws {
        try await LiveServer.run { server in
            let end = SystemWallClock().nowMillis()
            _ = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events(0..<10, end: end))
            _ = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint")
            let verifier = server.application.backgroundVerifier
            #expect(try await verifier.verifyNewRange().isEmpty)
            let verified = await verifier.verifiedSize
            #expect(verified >= 10)

            _ = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events(10..<20, end: end))
            let checkpoint = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint").json()
            let database = try DatabaseQueue(path: server.application.database.path)
            try await database.write { db in
                try db.execute(sql: "UPDATE audit_events SET user_email = 'mallory@example.com' WHERE seq = ?", arguments: [Int64(verified) + 2])
            }
            let problems = try await verifier.verifyNewRange()
            #expect(problems.map(\.kind) == [.modified])
            #expect(problems.first?.range == (verified + 2)...(verified + 2))
            #expect(LedgerTests.number(checkpoint["tree_size"]) > verified)

            let events = try await server.request(.GET, "/api/2.0/audit/events?action_name=ledgerVerificationFailed")
            #expect(try IngestAndQueryTests.eventIDs(events).count == 1)
            let metrics = try await server.request(.GET, "/metrics")
            #expect(metrics.text.contains("vigil_ledger_verification_failures_total 1"))
        }
    }
}

@Suite("Checkpoint key rotation")
struct KeyRotationTests {
    @Test("after rotate-key the new key signs, the old key stays published, and old checkpoints still verify")
    func rotation() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try await LiveServer.run(dataDirectory: folder.path) { server in
            _ = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint")
        }
        let rotated = try await CommandRunner.run(["ledger", "rotate-key", "--data-dir", folder.path])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        try await LiveServer.run(dataDirectory: folder.path) { server in
            let checkpoint = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint").json()
            let keys = try await server.request(.GET, "/api/2.0/vigil/ledger/keys").json()
            guard case .array(let list)? = keys["keys"] else { Issue.record("no keys"); return }
            #expect(list.count == 2)
            #expect(list.filter { $0["active"] == .bool(true) }.count == 1)
            #expect(list.first { $0["active"] == .bool(true) }?["key_id"] == checkpoint["key_id"])
        }
        let verified = try await CommandRunner.run(["verify", "--data-dir", folder.path])
        #expect(verified.status == 0, "\(verified.stdout)")
    }
}

@Suite("vigil verify --online")
struct OnlineVerifyTests {
    @Test("verifies a live server through its API and names an event altered behind its back")
    func online() async throws {
        try await LiveServer.run { server in
            _ = try await server.request(.POST, "/api/2.0/audit/events", body: IngestAndQueryTests.events(0..<40, end: SystemWallClock().nowMillis()))
            _ = try await server.request(.POST, "/api/2.0/vigil/ledger/checkpoint")
            let environment = ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
            let clean = try await CommandRunner.run(["verify", "--online"], environment: environment)
            #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
            #expect(clean.stdout.contains("Result: VALID"))

            let database = try DatabaseQueue(path: server.application.database.path)
            try await database.write { db in try db.execute(sql: "UPDATE audit_events SET source_ip_address = '6.6.6.6' WHERE seq = 3") }
            let tampered = try await CommandRunner.run(["verify", "--online"], environment: environment)
            #expect(tampered.status == 1)
            #expect(tampered.stdout.contains("Seq 3: INVALID: modified"), "\(tampered.stdout)")
        }
    }
}
