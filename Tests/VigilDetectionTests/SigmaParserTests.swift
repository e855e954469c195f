import Testing
@testable import VigilDetection

/// What an author sees for a rule Vigil cannot run as written: the line, the field and the reason, every problem
/// at once, and unsupported Sigma named rather than ignored.
@Suite("Sigma rule problems")
struct SigmaParserTests {
    static func rule(_ body: String) -> String {
        "title: T\nlogsource: {product: vigil}\ndetection:\n" + body
    }

    @Test("each problem names its line, field and reason", arguments: [
        (rule("  selection:\n    user_identity.emial: x\n  condition: selection"), 5, "detection.selection.user_identity.emial", "not a column"),
        (rule("  selection:\n    action_name|contans: x\n  condition: selection"), 5, "detection.selection.action_name|contans", "'contans' is not a Sigma modifier"),
        (rule("  selection:\n    action_name|windash: x\n  condition: selection"), 5, "detection.selection.action_name|windash", "'windash' is not supported"),
        (rule("  selection:\n    action_name|base64offset|contains: x\n  condition: selection"), 5, "detection.selection.action_name|base64offset|contains", "not supported"),
        (rule("  selection:\n    action_name|contains|startswith: x\n  condition: selection"), 5, "detection.selection.action_name|contains|startswith", "cannot be combined"),
        (rule("  selection:\n    source_ip_address|cidr: 10.0.0.0/33\n  condition: selection"), 5, "detection.selection.source_ip_address|cidr", "CIDR"),
        (rule("  selection:\n    action_name|re: '(['\n  condition: selection"), 5, "detection.selection.action_name|re", "regular expression"),
        (rule("  selection:\n    response.status_code|gt: many\n  condition: selection"), 5, "detection.selection.response.status_code|gt", "not one"),
        (rule("  keywords:\n    - mimikatz\n  condition: keywords"), 5, "detection.keywords", "keyword search"),
        (rule("  selection:\n    action_name: login\n  condition: selection | count() by source_ip_address > 5"), 6, "detection.condition", "obsolete"),
        (rule("  selection:\n    action_name: login\n  condition: selection and filter"), 6, "detection.condition", "'filter' is not a search identifier"),
        (rule("  selection:\n    action_name: login\n  condition: (selection"), 6, "detection.condition", "never closed"),
        (rule("  selection:\n    action_name: login\n  condition: 1 of filter*"), 6, "detection.condition", "matches no search identifier"),
        (rule("  selection:\n    action_name: login\n  condition: 2 of them"), 6, "detection.condition", "'2 of' is not supported"),
        (rule("  selection:\n    action_name: login\n  condition: selection selection"), 6, "detection.condition", "unexpected 'selection'"),
        (rule("  selection:\n    action_name: login\n  timeframe: 5m\n  condition: selection"), 6, "detection.timeframe", "obsolete"),
        (rule("  selection:\n    action_name: login"), 4, "detection.condition", "is required"),
        ("title: T\nlogsource: {product: windows}\ndetection:\n  s: {action_name: x}\n  condition: s", 2, "logsource.product", "'windows' is not a source Vigil holds"),
        ("title: T\nlevel: severe\nlogsource: {product: vigil}\ndetection:\n  s: {action_name: x}\n  condition: s", 2, "level", "not a Sigma level"),
        ("logsource: {product: vigil}\ndetection:\n  s: {action_name: x}\n  condition: s", 1, "title", "is required"),
        ("title: T\ntitle: U\nlogsource: {product: vigil}\ndetection:\n  s: {action_name: x}\n  condition: s", 2, "title", "appears twice"),
        ("title: T\nlogsource: {product: vigil}\ndetection:\n  s: {action_name: [x\n  condition: s", 5, "yaml", "column"),
        ("title: T\ncorrelation:\n  type: value_sum\n  rules: [a]\n  timespan: 1h\n  condition: {gt: 1}", 3, "correlation.type", "'value_sum' is not supported"),
        ("title: T\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 10 minutes\n  condition: {gt: 1}", 5, "correlation.timespan", "not a duration"),
        ("title: T\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {lt: 3}", 6, "correlation.condition.lt", "lt is not supported"),
        ("title: T\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 1000000}", 6, "correlation.condition.gte", "must be 0 to 99999"),
        ("title: T\ncorrelation:\n  type: event_count\n  rules: [a, a]\n  timespan: 1h\n  condition: {gte: 2}", 4, "correlation.rules", "names a rule twice"),
        (rule("  selection: {}\n  condition: selection"), 4, "detection.selection", "empty selection"),
        (rule("  selection:\n    - {}\n  condition: selection"), 5, "detection.selection", "empty selection"),
        (rule("  s: {action_name: x}\n  condition: " + String(repeating: "(", count: 40) + "s" + String(repeating: ")", count: 40)), 5, "detection.condition", "deeper than 32"),
        (rule("  s: {action_name: x}\n  condition: " + String(repeating: "not ", count: 40) + "s"), 5, "detection.condition", "deeper than 32"),
        ("title: T\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n  condition: {eq: 3}", 6, "correlation.condition.eq", "eq is not supported"),
        ("title: T\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition: {gte: 3}", 3, "correlation.field", "value_count needs"),
        ("title: T\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h", 3, "correlation.condition", "is required"),
        ("title: T\ncorrelation:\n  type: event_count\n  rules: [a]\n  group-by: [ip]\n  timespan: 1h\n  condition: {gte: 2}", 5, "correlation.group-by", "'ip' is not a column"),
        ("title: T\ncorrelation:\n  type: vigil_new_value\n  rules: [a]\n  timespan: 30d", 3, "correlation.field", "vigil_new_value needs the field"),
        ("title: T\nlogsource: {product: vigil}\ndetection:\n  s:\n    action_name|vigil_hours: monday:friday 08:00-18:00\n  condition: s", 5, "detection.s.action_name|vigil_hours", "applies to event_time only"),
        ("title: T\nlogsource: {product: vigil}\ndetection:\n  s:\n    event_time|vigil_hours: someday 08:00-18:00\n  condition: s", 5, "detection.s.event_time|vigil_hours", "is not a weekly window"),
        ("title: T\ncorrelation:\n  type: vigil_new_value\n  rules: [a]\n  field: source_ip_address\n  timespan: 30d\n  condition: {gte: 1}", 7, "correlation.condition", "takes no condition"),
    ])
    func problem(_ yaml: String, _ line: Int, _ field: String, _ message: String) {
        let problems = Fixtures.problems(yaml)
        #expect(problems.count >= 1, "\(yaml)")
        #expect(problems.first?.line == line, "\(problems)")
        #expect(problems.first?.field == field, "\(problems)")
        #expect(problems.first?.message.contains(message) == true, "\(problems)")
    }

    @Test("a duplicate key in a CRLF or CR file is reported at its line, not a crash")
    func lineBreaks() {
        for separator in ["\r\n", "\r"] {
            let yaml = ["title: T", "logsource: {product: vigil}", "detection:", "  s:", "    action_name: a", "    action_name: b", "  condition: s"]
                .joined(separator: separator)
            let problems = Fixtures.problems(yaml)
            #expect(problems.first?.field == "action_name", "\(problems)")
            #expect(problems.first?.message.contains("appears twice") == true)
        }
    }

    @Test("YAML aliases cannot multiply a small file into millions of values")
    func aliasFanOut() {
        var yaml = "title: T\nlogsource: {product: vigil}\nx: &v [" + (0..<100).map { "v\($0)" }.joined(separator: ", ") + "]\ndetection:\n"
        for index in 0..<200 { yaml += "  s\(index): {action_name: *v}\n" }
        yaml += "  condition: 1 of them\n"
        let problems = Fixtures.problems(yaml)
        #expect(problems.contains { $0.message.contains("more than 10000 values") }, "\(problems.prefix(2))")
    }

    @Test("every problem of a document is reported, not only the first")
    func allAtOnce() {
        let problems = Fixtures.problems(Self.rule("  selection:\n    nope: 1\n    action_name|frob: 2\n  condition: missing"))
        #expect(problems.map(\.field) == ["detection.selection.nope", "detection.selection.action_name|frob", "detection.condition"])
    }

    @Test("a correlation naming a rule the set lacks, or itself, is refused")
    func references() {
        let missing = Fixtures.problems("title: C\nid: c\ncorrelation:\n  type: event_count\n  rules: [ghost]\n  timespan: 1h\n  condition: {gte: 2}")
        #expect(missing.map(\.message) == ["test.yml: no loaded rule has the id or name 'ghost'"])
        let chained = Fixtures.problems("""
            title: A
            name: a
            logsource: {product: vigil}
            detection: {s: {action_name: x}, condition: s}
            ---
            title: B
            name: b
            correlation: {type: event_count, rules: [a], timespan: 1h, condition: {gte: 2}}
            ---
            title: C
            name: c
            correlation: {type: event_count, rules: [b], timespan: 1h, condition: {gte: 2}}
            """)
        #expect(chained.map(\.message) == ["test.yml: 'b' is a correlation; Vigil correlates detection rules only"])
    }

    @Test("problems in the second document of a file say so")
    func secondDocument() {
        let problems = Fixtures.problems("title: A\nlogsource: {product: vigil}\ndetection: {s: {action_name: x}, condition: s}\n---\ntitle: B\nlevel: loud\nlogsource: {product: vigil}\ndetection: {s: {action_name: x}, condition: s}")
        #expect(problems.count == 1)
        #expect(problems.first?.line == 6)
        #expect(problems.first?.message.hasPrefix("document 2: ") == true)
    }

    @Test("the optional Sigma metadata and custom attributes load; notify and level are kept")
    func metadata() throws {
        let rules = try SigmaParser.parse("""
            title: Grant to all users
            id: 5f1c6b3e-0c7e-4d7a-9a1e-2b1d3c4e5f60
            status: experimental
            description: A permission given to the users group.
            references: [https://example.com]
            author: Vigil
            date: 2026-12-01
            tags: [attack.persistence]
            falsepositives: [onboarding]
            level: critical
            notify: [pager, slack-sec]
            x_team: security
            logsource: {product: databricks, service: audit}
            detection:
              selection: {action_name: changeAuditLogsAcl}
              condition: selection
            """)
        #expect(rules.count == 1)
        #expect(rules[0].level == .critical)
        #expect(rules[0].notify == ["pager", "slack-sec"])
        #expect(rules[0].id == "5f1c6b3e-0c7e-4d7a-9a1e-2b1d3c4e5f60")
    }
}
