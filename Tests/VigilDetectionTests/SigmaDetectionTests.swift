import Testing
import VigilCore
@testable import VigilDetection

@Suite("Sigma detections")
struct SigmaDetectionTests {
    static func rule(_ detection: String, level: String = "high") -> String {
        """
        title: Test rule
        id: test-rule
        level: \(level)
        logsource: {product: vigil, service: audit}
        detection:
        \(detection)
        """
    }

    @Test("a map ANDs its fields, a list ORs its values, and matching is case-insensitive")
    func mapsAndLists() throws {
        let yaml = Self.rule("""
              selection:
                service_name: Accounts
                action_name: [login, tokenLogin]
              condition: selection
            """)
        let hits = try Fixtures.run(yaml, [
            Fixtures.event("accounts", "login"), Fixtures.event("accounts", "TOKENLOGIN", at: 1),
            Fixtures.event("accounts", "logout", at: 2), Fixtures.event("clusters", "login", at: 3),
        ])
        #expect(hits.map(\.eventIDs) == [["accounts-login-0-eve@x.com-203.0.113.7"], ["accounts-TOKENLOGIN-1-eve@x.com-203.0.113.7"]])
        #expect(hits.first?.level == .high)
        #expect(hits.first?.ruleID == "test-rule")
        #expect(hits.first?.kind == "detection")
    }

    @Test("a list of maps ORs the maps")
    func listOfMaps() throws {
        let yaml = Self.rule("""
              selection:
                - action_name: createToken
                  request_params.lifetime_seconds: null
                - action_name: generateDbToken
              condition: selection
            """)
        let hits = try Fixtures.run(yaml, [
            Fixtures.event("accounts", "createToken"),
            Fixtures.event("accounts", "createToken", at: 1, params: [("lifetime_seconds", "3600")]),
            Fixtures.event("accounts", "generateDbToken", at: 2),
        ])
        #expect(hits.map(\.timeMillis) == [1_700_000_000_000, 1_700_000_002_000])
    }

    @Test("conditions: and, or, not, parentheses, 1 of, all of, them, and _ identifiers left out of them", arguments: [
        ("selection and not filter", [true, false, false, false]),
        ("selection or filter", [true, true, true, false]),
        ("not (selection or filter)", [false, false, false, true]),
        ("1 of sel*", [true, true, false, false]),
        ("all of sel*", [false, true, false, false]),
        ("1 of them", [true, true, true, false]),
        ("all of them", [false, true, false, false]),
        ("selection and not 1 of filter*", [true, false, false, false]),
        ("not selection and filter", [false, false, true, false]),
        ("selection or filter and selection_admin", [true, true, false, false]),
    ])
    func conditions(_ condition: String, _ expected: [Bool]) throws {
        let yaml = Self.rule("""
              selection:
                action_name: login
              selection_admin:
                user_identity.email|startswith: admin
              filter:
                source_ip_address|cidr: 10.0.0.0/8
              _helper:
                action_name: nothing
              condition: \(condition)
            """)
        let events = [
            Fixtures.event("accounts", "login", email: "eve@x.com", ip: "203.0.113.7"),
            Fixtures.event("accounts", "login", at: 1, email: "admin@x.com", ip: "10.1.2.3"),
            Fixtures.event("accounts", "logout", at: 2, email: "bob@x.com", ip: "10.9.9.9"),
            Fixtures.event("accounts", "logout", at: 3, email: "bob@x.com", ip: "192.0.2.1"),
        ]
        let rules = try Fixtures.rules(yaml)
        guard case .detection(let detection) = rules.rules[0].rule.body else { Issue.record("not a detection"); return }
        #expect(events.map(detection.matches) == expected)
    }

    @Test("value modifiers", arguments: [
        ("user_identity.email|contains: EVE", "eve@x.com", true),
        ("user_identity.email|contains: mallory", "eve@x.com", false),
        ("user_identity.email|startswith: eve@", "eve@x.com", true),
        ("user_identity.email|endswith: '@x.com'", "eve@x.com", true),
        ("user_identity.email|endswith: '@y.com'", "eve@x.com", false),
        ("user_identity.email: 'e*@?.com'", "eve@x.com", true),
        ("user_identity.email: 'e\\*'", "e*", true),
        ("user_identity.email: 'e\\*'", "eve", false),
        ("user_identity.email|cased: Eve@x.com", "eve@x.com", false),
        ("user_identity.email|cased: eve@x.com", "eve@x.com", true),
        ("user_identity.email|re: '^e.e@'", "eve@x.com", true),
        ("user_identity.email|re: '^EVE'", "eve@x.com", false),
        ("user_identity.email|re|i: '^EVE'", "eve@x.com", true),
        ("user_identity.email|contains|all: [eve, x.com]", "eve@x.com", true),
        ("user_identity.email|contains|all: [eve, y.com]", "eve@x.com", false),
        ("user_identity.email|exists: true", "eve@x.com", true),
        ("user_identity.email|exists: false", "eve@x.com", false),
        ("user_identity.email: ''", "", true),
        ("user_identity.email: ''", "eve@x.com", false),
    ])
    func modifiers(_ selection: String, _ email: String, _ expected: Bool) throws {
        let yaml = Self.rule("  selection:\n    \(selection)\n  condition: selection")
        let hits = try Fixtures.run(yaml, [Fixtures.event(email: email)])
        #expect(hits.count == (expected ? 1 : 0), "\(selection) on \(email)")
    }

    @Test("numbers, networks and absent values", arguments: [
        ("response.status_code: 401", 401, "203.0.113.7", true),
        ("response.status_code|gte: 400", 403, "203.0.113.7", true),
        ("response.status_code|lt: 400", 403, "203.0.113.7", false),
        ("response.status_code|gt: 403", 403, "203.0.113.7", false),
        ("response.status_code|lte: 403", 403, "203.0.113.7", true),
        ("source_ip_address|cidr: 203.0.113.0/24", 200, "203.0.113.7", true),
        ("source_ip_address|cidr: 203.0.112.0/24", 200, "203.0.113.7", false),
        ("source_ip_address|cidr: '2001:db8::/32'", 200, "2001:db8:0:1::5", true),
        ("source_ip_address|cidr: '2001:db8::/32'", 200, "2001:db9::5", false),
        ("source_ip_address|cidr: '::ffff:0:0/96'", 200, "::ffff:192.0.2.1", true),
        ("source_ip_address|cidr: 10.0.0.0/8", 200, "not-an-ip", false),
        ("request_params.missing: null", 200, "203.0.113.7", true),
        ("request_params.missing|exists: false", 200, "203.0.113.7", true),
    ])
    func typedValues(_ selection: String, _ status: Int32, _ ip: String, _ expected: Bool) throws {
        let yaml = Self.rule("  selection:\n    \(selection)\n  condition: selection")
        #expect(try Fixtures.run(yaml, [Fixtures.event(ip: ip, status: status)]).count == (expected ? 1 : 0), "\(selection)")
    }

    @Test("a condition list is an OR of its conditions")
    func conditionList() throws {
        let yaml = Self.rule("""
              a:
                action_name: login
              b:
                action_name: logout
              condition:
                - a
                - b
            """)
        #expect(try Fixtures.run(yaml, [Fixtures.event(action: "login"), Fixtures.event(action: "logout", at: 1), Fixtures.event(action: "x", at: 2)]).count == 2)
    }
}

extension Fixtures {
    static func event(action: String, at seconds: Int64 = 0) -> AuditEvent {
        event("accounts", action, at: seconds)
    }
}

/// `vigil_hours`: a weekly window in a time zone, Alertmanager's time_intervals syntax, at its edges.
struct TimeWindowTests {
    @Test("weekdays, start inclusive and end exclusive, 24:00, and the zone's offset (daylight saving included)")
    func window() throws {
        let office = try #require(TimeWindow("monday:friday 08:00-18:00 Europe/Berlin"))
        #expect(office.contains("2026-12-07T07:00:00Z"), "Monday 08:00 in Berlin (UTC+1)")
        #expect(!office.contains("2026-12-07T06:59:59Z"))
        #expect(!office.contains("2026-12-07T17:00:00Z"), "18:00 is outside")
        #expect(office.contains("2026-07-06T06:00:00Z"), "Monday 08:00 in Berlin in summer (UTC+2)")
        #expect(!office.contains("2026-12-05T10:00:00Z"), "Saturday")
        let evenings = try #require(TimeWindow("sunday,saturday 18:30-24:00"))
        #expect(evenings.contains("2026-12-06T23:59:59Z"))
        #expect(!evenings.contains("2026-12-07T00:00:00Z"), "Monday")
        #expect(!evenings.contains("not a time"))
        for bad in ["monday 08:00-18:00 Mars/Base", "friday:monday 08:00-18:00", "monday 18:00-08:00", "monday 8-18", "monday 08:00-24:30", "monday"] {
            #expect(TimeWindow(bad) == nil, "\(bad)")
        }
    }
}
