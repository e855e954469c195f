import Foundation
import Testing
import VigilCore
@testable import VigilDetection

/// The rules shipped in `rules/`, loaded together as `--rules-dir rules` loads them, each fed the stream it is
/// written for and the near miss it must stay quiet on.
@Suite("Starter rules")
struct StarterPackTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("rules").path

    static func pack() throws -> RuleSet {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yml") }.sorted()
        var rules: [LoadedRule] = []
        for file in files {
            let yaml = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            rules += try RuleSource.load(yaml, objectID: String(file.dropLast(4)), origin: file)
        }
        return try RuleSet(rules)
    }

    /// The rules that fired, in order. The fixtures' clock stands on a Tuesday evening, outside business hours, so
    /// the off-hours rule is left out unless a test asks for it: it judges when, the others what.
    static func fired(offHours: Bool = false, _ events: [AuditEvent]) throws -> [String] {
        var evaluator = DetectionEvaluator(rules: try pack())
        return events.flatMap { evaluator.evaluate($0) }.map(\.ruleID).filter { offHours || $0 != "vigil-off-hours-access" }
    }

    @Test("every file loads, together")
    func loads() throws {
        #expect(try Self.pack().rules.count == 14)
    }

    @Test("ten refused logins from one address in five minutes are a brute force; nine, or ten spread over an hour, are not")
    func bruteForce() throws {
        let refused = { (second: Int64) in Fixtures.event("accounts", "tokenLogin", at: second, email: nil, ip: "198.51.100.4", status: 401) }
        #expect(try Self.fired((0..<10).map { refused($0 * 30) }) == ["vigil-brute-force-logins"])
        #expect(try Self.fired((0..<9).map { refused($0) }).isEmpty)
        #expect(try Self.fired((0..<10).map { refused($0 * 400) }).isEmpty)
        // A flood the rate limit summarised is one record with status 429: it fires on its own.
        #expect(try Self.fired([Fixtures.event("accounts", "tokenLogin", email: nil, status: 429, params: [("suppressedCount", "5000")])]) == ["vigil-login-flood"])
        // Accepted logins never count.
        #expect(try Self.fired((0..<10).map { Fixtures.event("accounts", "login", at: $0, status: 200) }).isEmpty)
    }

    @Test("a login from an address new for that user within 30 days fires; a first login, a known address, or another user's address do not")
    func loginFromNewAddress() throws {
        let login = { (day: Int64, email: String, ip: String) in
            Fixtures.event("accounts", "login", at: day * 86_400, email: email, ip: ip, status: 200)
        }
        // Alice's first login is quiet; her usual address is quiet; a new one fires once, then it is known.
        #expect(try Self.fired([login(0, "alice@x.com", "192.0.2.1"), login(1, "alice@x.com", "192.0.2.1")]).isEmpty)
        #expect(try Self.fired([login(0, "alice@x.com", "192.0.2.1"), login(1, "alice@x.com", "203.0.113.50"), login(2, "alice@x.com", "203.0.113.50")])
                == ["vigil-login-new-address"])
        // Bob's address is new to Alice; an address last used 40 days ago is new again; refused logins do not count.
        #expect(try Self.fired([login(0, "bob@x.com", "198.51.100.9"), login(0, "alice@x.com", "192.0.2.1"), login(1, "alice@x.com", "198.51.100.9")])
                == ["vigil-login-new-address"])
        #expect(try Self.fired([login(0, "alice@x.com", "192.0.2.1"), login(20, "alice@x.com", "192.0.2.2"), login(50, "alice@x.com", "192.0.2.2"),
                                login(60, "alice@x.com", "192.0.2.1")]) == ["vigil-login-new-address", "vigil-login-new-address"])
        #expect(try Self.fired([login(0, "alice@x.com", "192.0.2.1"), Fixtures.event("accounts", "login", at: 3600, email: "alice@x.com", ip: "203.0.113.7", status: 401)])
                .allSatisfy { $0 != "vigil-login-new-address" })
    }

    @Test("a sensitive action outside Monday–Friday 08:00–18:00 UTC fires; inside it, refused, or a harmless action does not")
    func offHours() throws {
        // Fixtures start at 2023-11-14T22:13:20Z, a Tuesday evening.
        let at = { (offset: Int64, action: String, status: Int32) in Fixtures.event("sql", action, at: offset, status: status) }
        #expect(try Self.fired(offHours: true, [at(0, "commandSubmit", 200)]) == ["vigil-off-hours-access"], "Tuesday 22:13")
        let wednesdayMorning: Int64 = 10 * 3600 + 47 * 60 - 20  // Wednesday 09:00:00
        #expect(try Self.fired(offHours: true, [at(wednesdayMorning, "commandSubmit", 200)]).isEmpty)
        #expect(try Self.fired(offHours: true, [at(wednesdayMorning - 3601, "generateDbToken", 200)]) == ["vigil-off-hours-access"], "07:59:59 is before hours")
        let saturdayNoon: Int64 = 3 * 86_400 + 13 * 3600 + 46 * 60 + 40
        #expect(try Self.fired(offHours: true, [at(saturdayNoon, "listAuditEvents", 200)]) == ["vigil-off-hours-access"])
        #expect(try Self.fired(offHours: true, [at(0, "commandSubmit", 403)]).isEmpty, "a refused attempt is for other rules")
        #expect(try Self.fired(offHours: true, [at(0, "listClusters", 200)]).isEmpty)
    }

    @Test("a grant to the users group fires; a grant to a named user does not")
    func grantToAllUsers() throws {
        let grant = { (acl: String) in
            Fixtures.event("clusters", "changeClusterAcl", params: [("access_control_list", acl), ("request_object_id", "c-1")])
        }
        #expect(try Self.fired([grant(#"[{"group_name":"users","permission_level":"CAN_RESTART"}]"#)]) == ["vigil-grant-to-all-users"])
        #expect(try Self.fired([grant(#"[{"user_name":"users@x.com","permission_level":"CAN_RESTART"}]"#)]).isEmpty)
    }

    @Test("a principal added to admins fires; to another group, or refused, does not")
    func addedToAdmins() throws {
        let add = { (group: String, status: Int32) in
            Fixtures.event("accounts", "addPrincipalToGroup", status: status, params: [("targetGroupName", group), ("targetUserName", "mallory@x.com")])
        }
        #expect(try Self.fired([add("admins", 200)]) == ["vigil-added-to-admins"])
        #expect(try Self.fired([add("auditors", 200)]).isEmpty)
        #expect(try Self.fired([add("admins", 403)]).isEmpty)
    }

    @Test("a token without expiry fires; one with an expiry does not")
    func eternalToken() throws {
        let token = { (expiry: String) in Fixtures.event("accounts", "generateDbToken", params: [("tokenExpirationTime", expiry), ("tokenId", "t")]) }
        #expect(try Self.fired([token("-1")]) == ["vigil-token-without-expiry"])
        #expect(try Self.fired([token("1767225600000")]).isEmpty)
    }

    @Test("fifty audit-data reads by one principal in ten minutes are a burst; fifty by fifty principals are not")
    func auditExport() throws {
        let read = { (second: Int64, email: String) in Fixtures.event(second % 2 == 0 ? "vigil" : "databrickssql", second % 2 == 0 ? "listAuditEvents" : "commandSubmit", at: second, email: email) }
        #expect(try Self.fired((0..<50).map { read($0, "eve@x.com") }) == ["vigil-audit-export-burst"])
        #expect(try Self.fired((0..<50).map { read($0, "user\($0)@x.com") }).isEmpty)
    }

    @Test("a ledger verification failure fires at once, critical")
    func ledger() throws {
        var evaluator = DetectionEvaluator(rules: try Self.pack())
        let hits = evaluator.evaluate(Fixtures.event("vigil", "ledgerVerificationFailed", email: nil, status: 500, params: [("kind", "leaf_mismatch")]))
        #expect(hits.map(\.ruleID) == ["vigil-ledger-verification-failed"])
        #expect(hits.first?.level == .critical)
    }

    @Test("twenty secret reads by one principal in ten minutes are a burst; refused reads do not count")
    func secrets() throws {
        let read = { (second: Int64, status: Int32) in Fixtures.event("secrets", "getSecret", at: second, status: status, params: [("scope", "prod"), ("key", "db")]) }
        #expect(try Self.fired((0..<20).map { read($0 * 20, 200) }) == ["vigil-secret-read-burst"])
        #expect(try Self.fired((0..<20).map { read($0, 403) }).isEmpty)
    }
}
