import Testing
import VigilCore
@testable import VigilDetection

/// Correlations over attack-shaped streams, at the edges of their windows. Time is the events' own.
@Suite("Sigma correlations")
struct SigmaCorrelationTests {
    static let failedLogin = """
        title: Failed login
        name: failed_login
        logsource: {product: vigil}
        detection:
          selection:
            action_name: login
            response.status_code: 401
          condition: selection
        """

    static func bruteForce(_ condition: String = "gte: 5", timespan: String = "10m", generate: String = "") -> String {
        failedLogin + """

            ---
            title: Brute force from one address
            id: brute-force
            level: high
            \(generate)
            correlation:
              type: event_count
              rules: [failed_login]
              group-by: [source_ip_address]
              timespan: \(timespan)
              condition: {\(condition)}
            """
    }

    static func failures(_ seconds: [Int64], ip: String = "198.51.100.9", email: String = "eve@x.com") -> [AuditEvent] {
        seconds.map { Fixtures.event("accounts", "login", at: $0, email: email, ip: ip, status: 401) }
    }

    @Test("event_count fires when the count in the window reaches the condition, then starts again")
    func eventCount() throws {
        let hits = try Fixtures.run(Self.bruteForce(), Self.failures(Array(0..<12)))
        #expect(hits.count == 2)
        #expect(hits.map(\.count) == [5, 5])
        #expect(hits[0].eventIDs.count == 5)
        #expect(hits[0].group == [.init(field: "source_ip_address", value: "198.51.100.9")])
        #expect(hits[0].kind == "event_count")
        #expect(hits[0].ruleID == "brute-force")
    }

    @Test("the window is inclusive at its edge: an event exactly timespan older still counts, a millisecond more does not")
    func windowEdge() throws {
        // 5 failures, the first exactly 600 s before the last: fires.
        #expect(try Fixtures.run(Self.bruteForce(), Self.failures([0, 100, 200, 300, 600])).count == 1)
        // The first 600.001 s before the fifth: only 4 in the window.
        let late = Self.failures([0, 100, 200, 300]) + [Fixtures.event("accounts", "login", at: 0, ip: "198.51.100.9", status: 401, id: "late")]
            .map { event in var copy = event; copy.eventTimeMillis = 1_700_000_000_000 + 600_001; return copy }
        #expect(try Fixtures.run(Self.bruteForce(), late).isEmpty)
    }

    @Test("groups are counted apart: failures spread over many addresses do not add up")
    func groups() throws {
        let spread = (0..<20).flatMap { index in Self.failures([Int64(index)], ip: "198.51.100.\(index % 5)") }
        let hits = try Fixtures.run(Self.bruteForce(), spread)
        #expect(hits.count == 0)
        let byUser = try Fixtures.run(Self.bruteForce().replacingOccurrences(of: "[source_ip_address]", with: "[user_identity.email]"), spread)
        #expect(byUser.count == 4)
        #expect(byUser.first?.group == [.init(field: "user_identity.email", value: "eve@x.com")])
    }

    @Test("the correlated rule stays quiet unless generate is true")
    func generate() throws {
        #expect(try Fixtures.run(Self.bruteForce(), Self.failures([0])).isEmpty)
        let loud = try Fixtures.run(Self.bruteForce(generate: "generate: true"), Self.failures([0]))
        #expect(loud.map(\.ruleID) == ["failed_login"])
    }

    @Test("gt is strict, gte is not")
    func bounds() throws {
        #expect(try Fixtures.run(Self.bruteForce("gt: 5"), Self.failures([0, 1, 2, 3, 4])).isEmpty)
        #expect(try Fixtures.run(Self.bruteForce("gt: 5"), Self.failures([0, 1, 2, 3, 4, 5])).count == 1)
        #expect(try Fixtures.run(Self.bruteForce("gte: 3"), Self.failures([0, 1, 2])).count == 1)
    }

    @Test("a rule named by a correlation with generate: true stays loud even when another correlation says false")
    func generateMixed() throws {
        let yaml = Self.bruteForce(generate: "generate: true") + """

            ---
            title: Another count
            id: other
            correlation: {type: event_count, rules: [failed_login], group-by: [user_identity.email], timespan: 1h, condition: {gte: 100}}
            """
        #expect(try Fixtures.run(yaml, Self.failures([0])).map(\.ruleID) == ["failed_login"])
    }

    @Test("windows are per workspace: failures in two workspaces do not add up, and the hit names its workspace")
    func workspaces() throws {
        let split = Self.failures([0, 1, 2, 3, 4, 5, 6, 7]).enumerated().map { index, event in
            var copy = event
            copy.workspaceID = index % 2 == 0 ? "100" : "200"
            return copy
        }
        #expect(try Fixtures.run(Self.bruteForce(), split).isEmpty)
        let one = Self.failures([0, 1, 2, 3, 4]).map { event in
            var copy = event
            copy.workspaceID = "100"
            return copy
        }
        #expect(try Fixtures.run(Self.bruteForce(), one).first?.workspaceID == "100")
    }

    @Test("a sweep goes by the newest time seen less the allowed skew: one event from a fast clock does not empty the windows")
    func skewedSweep() throws {
        var evaluator = DetectionEvaluator(rules: try Fixtures.rules(Self.bruteForce()))
        for event in Self.failures([0, 1, 2, 3]) { _ = evaluator.evaluate(event) }
        // 9,995 quiet events, the 10,000th four minutes ahead: the sweep runs then.
        for index in 0..<9995 { _ = evaluator.evaluate(Fixtures.event("clusters", "list", at: 4 + Int64(index) / 1000)) }
        _ = evaluator.evaluate(Fixtures.event("clusters", "list", at: 240 + 10))
        #expect(evaluator.evaluate(Self.failures([20])[0]).count == 1)
    }

    @Test("value_count counts distinct values per group within the window")
    func valueCount() throws {
        let yaml = Self.failedLogin + """

            ---
            title: Password spraying
            id: spraying
            correlation:
              type: value_count
              rules: [failed_login]
              group-by: [source_ip_address]
              field: user_identity.email
              timespan: 1h
              condition: {gte: 3}
            """
        let same = Self.failures([0, 1, 2, 3, 4])
        #expect(try Fixtures.run(yaml, same).isEmpty)
        let sprayed = ["a", "b", "a", "c"].enumerated().flatMap { Self.failures([Int64($0.offset)], email: "\($0.element)@x.com") }
        let hits = try Fixtures.run(yaml, sprayed)
        #expect(hits.map(\.count) == [3])
        #expect(hits.first?.eventIDs.count == 3)
        // Distinct users spread over more than an hour never meet.
        let slow = ["a", "b", "c"].enumerated().flatMap { Self.failures([Int64($0.offset) * 1801], email: "\($0.element)@x.com") }
        #expect(try Fixtures.run(yaml, slow).isEmpty)
    }

    @Test("temporal fires when every named rule matched for the group within the timespan, in any order")
    func temporal() throws {
        let yaml = """
            title: Added to admins
            name: admin_grant
            logsource: {product: vigil}
            detection:
              selection: {action_name: addPrincipalToGroup, request_params.group_name: admins}
              condition: selection
            ---
            title: Token without expiry
            name: eternal_token
            logsource: {product: vigil}
            detection:
              selection: {action_name: createToken, request_params.lifetime_seconds: null}
              condition: selection
            ---
            title: Admin grant and an eternal token by one user
            id: persistence
            level: critical
            correlation:
              type: temporal
              rules: [admin_grant, eternal_token]
              group-by: [user_identity.email]
              timespan: 5m
            """
        let grant = Fixtures.event("accounts", "addPrincipalToGroup", at: 0, params: [("group_name", "admins")])
        let token = Fixtures.event("accounts", "createToken", at: 300)
        let hits = try Fixtures.run(yaml, [token, grant])
        #expect(hits.map(\.ruleID) == ["persistence"])
        #expect(hits.first?.count == 2)
        let tooLate = Fixtures.event("accounts", "createToken", at: 301)
        #expect(try Fixtures.run(yaml, [grant, tooLate]).isEmpty)
        let otherUser = Fixtures.event("accounts", "createToken", at: 10, email: "bob@x.com")
        #expect(try Fixtures.run(yaml, [grant, otherUser]).isEmpty)
    }

    @Test("a temporal condition counts the distinct rules matched; a reload that moves rule indices keeps what was seen")
    func temporalCondition() throws {
        let base = { (name: String) in "title: \(name)\nname: \(name)\nlogsource: {product: vigil}\ndetection: {s: {action_name: \(name)}, condition: s}\n---\n" }
        let yaml = base("a") + base("b") + base("c")
            + "title: Two of three\nid: two-of-three\ncorrelation: {type: temporal, rules: [a, b, c], group-by: [user_identity.email], timespan: 5m, condition: {gte: 2}}"
        #expect(try Fixtures.run(yaml, [Fixtures.event("accounts", "a"), Fixtures.event("accounts", "c", at: 1)]).map(\.count) == [2])
        // Seen "b", then a rule is loaded ahead of the others (every index moves), then "c": fires with b and c.
        var evaluator = DetectionEvaluator(rules: try Fixtures.rules(yaml))
        _ = evaluator.evaluate(Fixtures.event("accounts", "b"))
        evaluator.replace(try Fixtures.rules(base("aa").replacingOccurrences(of: "---\n", with: "") + "\n---\n" + yaml))
        let hits = evaluator.evaluate(Fixtures.event("accounts", "c", at: 2))
        #expect(hits.map(\.ruleID) == ["two-of-three"])
        #expect(hits.first?.eventIDs.count == 2)
    }

    @Test("groups past the limit are not tracked and are counted; stale groups are forgotten to make room")
    func groupLimit() throws {
        var evaluator = DetectionEvaluator(rules: try Fixtures.rules(Self.bruteForce()), maxGroups: 3)
        for index in 0..<5 { _ = evaluator.evaluate(Self.failures([Int64(index)], ip: "192.0.2.\(index)")[0]) }
        #expect(evaluator.trackedGroups == 3)
        #expect(evaluator.droppedGroups == 2)
        // An hour later the old groups are stale and make room.
        _ = evaluator.evaluate(Self.failures([3600], ip: "192.0.2.99")[0])
        #expect(evaluator.trackedGroups == 1)
        #expect(evaluator.droppedGroups == 2)
    }

    @Test("replacing the rules keeps the windows of a correlation that stayed")
    func reload() throws {
        var evaluator = DetectionEvaluator(rules: try Fixtures.rules(Self.bruteForce()))
        for event in Self.failures([0, 1, 2, 3]) { #expect(evaluator.evaluate(event).isEmpty) }
        evaluator.replace(try Fixtures.rules(Self.bruteForce()))
        #expect(evaluator.evaluate(Self.failures([4])[0]).count == 1)
    }
}
