import Foundation
import Testing
@testable import VigilConfig

/// The configuration file: what it sets, and every problem with its path, line and key.
struct ConfigFileTests {
    func problems(_ text: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try ConfigFile.parse(text, path: "vigil.yaml", environment: environment)
            return []
        } catch {
            return error.problems
        }
    }

    @Test("delivery entries with their defaults, durations and ${ENV} references")
    func deliveries() throws {
        let file = try ConfigFile.parse("""
            # comment
            delivery:
              - name: lake
                url: file:///var/lib/${LAKE}
                interval: 30s
                digest_interval: 2h
                batch_events: 5000
              - name: second_one
                url: file:///tmp/x
            """, path: "vigil.yaml", environment: ["LAKE": "vigil-lake"])
        #expect(file.deliveries.count == 2)
        #expect(file.deliveries[0].url == "file:///var/lib/vigil-lake")
        #expect(file.deliveries[0].intervalMillis == 30_000)
        #expect(file.deliveries[0].digestIntervalMillis == 7_200_000)
        #expect(file.deliveries[0].batchEvents == 5000)
        #expect(file.deliveries[1].intervalMillis == 60_000)
        #expect(file.deliveries[1].digestIntervalMillis == 3_600_000)
        #expect(try ConfigFile.parse("", path: "x", environment: [:]) == ConfigFile())
    }

    @Test("durations: ms, s, m, h, d and bare seconds; anything else is nil")
    func durations() {
        #expect(ConfigFile.durationMillis("500ms") == 500)
        #expect(ConfigFile.durationMillis("60s") == 60_000)
        #expect(ConfigFile.durationMillis("5m") == 300_000)
        #expect(ConfigFile.durationMillis("1h") == 3_600_000)
        #expect(ConfigFile.durationMillis("1d") == 86_400_000)
        #expect(ConfigFile.durationMillis("90") == 90_000)
        for bad in ["", "s", "1x", "-1s", "1.5s", "99999999999999999999s", "9223372036854775807d"] {
            #expect(ConfigFile.durationMillis(bad) == nil, "\(bad)")
        }
    }

    @Test("every problem is reported at once, each with the file, line and key")
    func problemsWithLines() {
        let found = problems("""
            delivery:
              - name: lake
                url: s3://bucket/prefix
                interval: soon
              - url: file:///x
              - name: lake
                url: file:///y
              - name: "bad name"
                url: file:///z
              - name: ok
                url: relative/path
                colour: blue
                batch_events: 0
            forwarding:
              - name: siem
            extra: 1
            """)
        #expect(found == [
            "vigil.yaml:4: delivery[0].interval: want a positive duration such as 500ms, 60s, 5m or 1h",
            "vigil.yaml:2: delivery[0].access_key_id: an s3:// delivery needs access_key_id and secret_access_key (as ${NAME}), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set",
            "vigil.yaml:5: delivery[1].name: is required",
            "vigil.yaml:6: delivery[2].name: lake is used by an earlier entry; names must be unique",
            "vigil.yaml:8: delivery[3].name: want 1 to 64 characters from A-Z, a-z, 0-9, - and _",
            "vigil.yaml:11: delivery[4].url: want file:///path or s3://bucket/prefix",
            "vigil.yaml:12: delivery[4].colour: is not a delivery key (want name, url, interval, digest_interval, batch_events, and for s3:// endpoint, region, addressing, access_key_id, secret_access_key, session_token, part_size_mb)",
            "vigil.yaml:13: delivery[4].batch_events: want a whole number from 1 to 1000000",
            "vigil.yaml:15: forwarding[0].url: is required",
            "vigil.yaml:16: extra: is not a known section (want delivery, forwarding, sources, metrics or notifications)",
        ])
    }

    @Test("refusals: YAML that does not parse, a duplicated key, an unset or malformed ${…}, a section of the wrong kind")
    func refusals() {
        #expect(problems("delivery: [\n") .first?.hasPrefix("vigil.yaml:") == true)
        #expect(problems("delivery: []\ndelivery: []\n").first?.contains("delivery appears twice") == true)
        #expect(problems("delivery:\n  - name: a\n    url: file:///${SECRET}\n") == [
            "vigil.yaml:3: delivery[0].url: names the environment variable SECRET, which is not set"])
        #expect(problems("delivery:\n  - name: a\n    url: file:///${A B}\n") == ["vigil.yaml:3: delivery[0].url: ${A B} is not an environment variable name"])
        #expect(problems("delivery:\n  - name: a\n    url: file:///${OPEN\n") == ["vigil.yaml:3: delivery[0].url: has ${ without a closing }"])
        #expect(problems("delivery: lake\n") == ["vigil.yaml:1: delivery: must be a list of destinations (- name: …, url: …)"])
        #expect(problems("- 1\n") == ["vigil.yaml:1: (top level): must be a mapping of keys to values"])
    }

    @Test("s3:// entries: endpoint, region, addressing, credentials from ${ENV} or AWS_*, part size; each refused when wrong")
    func s3() throws {
        let file = try ConfigFile.parse("""
            delivery:
              - name: bucket
                url: s3://vigil-logs/audit
                endpoint: http://127.0.0.1:5055
                addressing: path
                access_key_id: ${KEY}
                secret_access_key: ${SECRET}
                part_size_mb: 16
              - name: aws
                url: s3://vigil-logs
            """, path: "vigil.yaml", environment: ["KEY": "AKID", "SECRET": "s3cr3t", "AWS_ACCESS_KEY_ID": "ENVKEY",
                                                   "AWS_SECRET_ACCESS_KEY": "envsecret", "AWS_REGION": "eu-west-1"])
        #expect(file.deliveries[0].endpoint == "http://127.0.0.1:5055")
        #expect(file.deliveries[0].addressing == "path")
        #expect(file.deliveries[0].accessKeyID == "AKID" && file.deliveries[0].secretAccessKey == "s3cr3t")
        #expect(file.deliveries[0].partSizeBytes == 16 << 20)
        #expect(file.deliveries[0].region == "eu-west-1")
        #expect(file.deliveries[1].accessKeyID == "ENVKEY" && file.deliveries[1].secretAccessKey == "envsecret")
        let found = problems("""
            delivery:
              - name: a
                url: s3://Bad_Bucket
              - name: b
                url: s3://good-bucket
                endpoint: ftp://x
                addressing: sideways
                part_size_mb: 2
                access_key_id: k
                secret_access_key: s
              - name: c
                url: file:///x
                region: us-east-1
            """)
        #expect(found == [
            "vigil.yaml:3: delivery[0].url: the bucket name must be 3 to 63 characters from a-z, 0-9, . and -",
            "vigil.yaml:6: delivery[1].endpoint: want an http:// or https:// URL with a host",
            "vigil.yaml:7: delivery[1].addressing: want path or virtual",
            "vigil.yaml:8: delivery[1].part_size_mb: want a whole number of MiB from 5 to 5120",
            "vigil.yaml:11: delivery[2].url: endpoint, region, addressing and credentials apply to s3:// URLs only",
        ])
    }

    @Test("forwarding entries: url, filter lists, interval, keys per receiver; each problem named with its line")
    func forwarding() throws {
        let file = try ConfigFile.parse("""
            forwarding:
              - name: siem
                url: syslog+tcp://127.0.0.1:6514
                filter: {service_name: [accounts, apps], workspace_id: "0"}
                interval: 250ms
                batch_events: 100
              - name: splunk
                url: splunk-hec+https://splunk:8088
                token: ${HEC}
              - name: cw
                url: cloudwatch-logs:///vigil/audit/x
            """, path: "vigil.yaml", environment: ["HEC": "t0k3n", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"])
        #expect(file.forwards.map(\.name) == ["siem", "splunk", "cw"])
        #expect(file.forwards[0].serviceNames == ["accounts", "apps"] && file.forwards[0].workspaceIDs == ["0"])
        #expect(file.forwards[0].intervalMillis == 250 && file.forwards[0].batchEvents == 100)
        #expect(file.forwards[1].token == "t0k3n")
        #expect(file.forwards[2].accessKeyID == "k" && file.forwards[2].region == nil)
        let found = problems("""
            forwarding:
              - name: a
                url: kafka://broker:9092
              - name: b
                url: splunk-hec+https://splunk:8088
              - name: c
                url: cloudwatch-logs://g/s
              - name: d
                url: https://hook.example
                filter: {user: [x]}
                batch_events: 0
                ca_cert: /nonexistent/ca.pem
            """)
        #expect(found == [
            "vigil.yaml:3: forwarding[0].url: want syslog+tcp://, syslog+udp://, syslog+tls://, otlp+http(s)://, splunk-hec+http(s)://, cloudwatch-logs://group/stream or http(s):// (a webhook)",
            "vigil.yaml:4: forwarding[1].token: a Splunk HEC destination needs token (as ${NAME})",
            "vigil.yaml:6: forwarding[2].access_key_id: a CloudWatch Logs destination needs access_key_id and secret_access_key (as ${NAME}), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set",
            "vigil.yaml:10: forwarding[3].filter.user: is not a filter (want service_name, action_name, workspace_id)",
            "vigil.yaml:11: forwarding[3].batch_events: want a whole number from 1 to 10000",
            "vigil.yaml:12: forwarding[3].ca_cert: /nonexistent/ca.pem is not a readable file",
        ])
    }

    @Test("sources: the syslog listen addresses; another source or a bad address is refused")
    func sources() throws {
        let file = try ConfigFile.parse("sources:\n  syslog: {listen: [\"udp://0.0.0.0:5514\", \"tcp://127.0.0.1:5514\"]}\n", path: "vigil.yaml", environment: [:])
        #expect(file.syslogListens == ["udp://0.0.0.0:5514", "tcp://127.0.0.1:5514"])
        #expect(problems("sources:\n  kafka: {}\n  syslog:\n    listen: http://x:1\n    port: 1\n") == [
            "vigil.yaml:2: sources.kafka: is not a source (want syslog; Kubernetes posts to /api/2.0/vigil/sources/kubernetes)",
            "vigil.yaml:4: sources.syslog.listen: http://x:1: want udp://host:port or tcp://host:port",
            "vigil.yaml:5: sources.syslog.port: is not a syslog key (want listen or allow)",
        ])
        let allowed = try ConfigFile.parse("sources:\n  syslog: {listen: [\"udp://0.0.0.0:5514\"], allow: [10.0.0.0/8, 192.0.2.7, \"2001:db8::/32\"]}\n",
                                           path: "vigil.yaml", environment: [:])
        #expect(allowed.syslogAllow == ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"])
        #expect(problems("sources:\n  syslog:\n    allow: [10.0.0.0/33, web-1]\n") == [
            "vigil.yaml:3: sources.syslog.allow: 10.0.0.0/33: want a network such as 10.0.0.0/8 or an address such as 192.0.2.7",
            "vigil.yaml:3: sources.syslog.allow: web-1: want a network such as 10.0.0.0/8 or an address such as 192.0.2.7",
        ])
    }

    @Test("metrics entries: the namespace from the URL, interval, include list, credentials from ${ENV} or AWS_*; defaults")
    func metrics() throws {
        let file = try ConfigFile.parse("""
            metrics:
              - name: cw
                url: cloudwatch-metrics://Vigil/Prod
                interval: 30s
                include: [vigil_ingest_events_accepted_total, vigil_forward_lag_seconds]
                region: eu-west-1
                endpoint: http://127.0.0.1:5000
                access_key_id: ${KEY}
                secret_access_key: ${SECRET}
              - name: plain
                url: cloudwatch-metrics://Vigil
            """, path: "vigil.yaml", environment: ["KEY": "AKID", "SECRET": "s", "AWS_ACCESS_KEY_ID": "env-key", "AWS_SECRET_ACCESS_KEY": "env-secret"])
        #expect(file.metrics.count == 2)
        let first = file.metrics[0]
        #expect(first.namespace == "Vigil/Prod" && first.intervalMillis == 30_000 && first.region == "eu-west-1")
        #expect(first.include == ["vigil_ingest_events_accepted_total", "vigil_forward_lag_seconds"])
        #expect(first.accessKeyID == "AKID" && first.secretAccessKey == "s" && first.endpoint == "http://127.0.0.1:5000")
        let second = file.metrics[1]
        #expect(second.intervalMillis == 60_000 && second.include == nil && second.accessKeyID == "env-key" && second.region == nil)
    }

    @Test("metrics refusals: a URL that is not cloudwatch-metrics://, a bad namespace, an interval under 1s, bad names, no credentials")
    func metricsRefusals() {
        #expect(problems("""
            metrics:
              - name: a
                url: prometheus://x
              - name: b
                url: cloudwatch-metrics://AWS/EC2
              - name: c
                url: cloudwatch-metrics://a:b
                interval: 500ms
              - name: d
                url: cloudwatch-metrics://Vigil
                include: [ok_name, "bad name"]
                colour: red
              - url: cloudwatch-metrics://Vigil
              - name: f
                url: cloudwatch-metrics://Vigil
            """, environment: ["AWS_ACCESS_KEY_ID": "k"]) == [
            "vigil.yaml:3: metrics[0].url: want cloudwatch-metrics://NAMESPACE (the only metrics destination so far)",
            "vigil.yaml:5: metrics[1].url: namespaces starting AWS/ are AWS's own",
            "vigil.yaml:7: metrics[2].url: the namespace must be 1 to 255 printable ASCII characters without ':'",
            "vigil.yaml:8: metrics[2].interval: want at least 1s (CloudWatch's finest resolution)",
            "vigil.yaml:11: metrics[3].include: want a list of Vigil's metric names, as GET /metrics shows them (vigil_ingest_events_accepted_total)",
            "vigil.yaml:12: metrics[3].colour: is not a metrics key (want name, url, interval, include, region, endpoint, access_key_id, secret_access_key, session_token)",
            "vigil.yaml:13: metrics[4].name: is required",
            "vigil.yaml:14: metrics[5].access_key_id: a CloudWatch metrics destination needs access_key_id and secret_access_key (as ${NAME}), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set",
        ])
        #expect(problems("metrics: {name: a}\n") == ["vigil.yaml:1: metrics: must be a list of destinations (- name: …, url: cloudwatch-metrics://NAMESPACE)"])
    }

    @Test("notifications: level defaults, grouping, SMTP with a ${ENV} password; every wrong key and value named")
    func notifications() throws {
        let file = try ConfigFile.parse("""
            notifications:
              defaults: {high: [oncall], critical: [oncall, pager]}
              group_by: alertname
              group_wait: 0
              group_interval: 5m
              smtp: {server: "smtp.internal:587", tls: starttls, username: vigil, password: "${PW}", from: vigil@example.com}
            """, path: "vigil.yaml", environment: ["PW": "secret"])
        let section = file.notifications
        #expect(section.defaults == ["high": ["oncall"], "critical": ["oncall", "pager"]])
        #expect(section.groupBy == "alertname" && section.groupWait == "0" && section.groupInterval == "5m" && section.repeatInterval == nil)
        #expect(section.smtp.server == "smtp.internal:587" && section.smtp.tls == "starttls" && section.smtp.password == "secret")
        #expect(section.smtp.from == "vigil@example.com" && section.smtp.caCertificate == nil)
        #expect(problems("""
            notifications:
              defaults: {urgent: [a], high: []}
              group_by: []
              group_wait: soon
              group_interval: 30
              repeat_interval: 1500ms
              smtp: {tls: maybe, ca_cert: /nonexistent/ca.pem, port: 25}
              colour: red
            """) == [
            "vigil.yaml:2: notifications.defaults.urgent: is not a level (want informational, low, medium, high, critical)",
            "vigil.yaml:2: notifications.defaults.high: names no destination",
            "vigil.yaml:3: notifications.group_by: want label names such as [alertname, severity], or '...'",
            "vigil.yaml:4: notifications.group_wait: want 0 or a number with s, m, h or d, such as 30s, 5m or 4h",
            "vigil.yaml:5: notifications.group_interval: want 0 or a number with s, m, h or d, such as 30s, 5m or 4h",
            "vigil.yaml:6: notifications.repeat_interval: want 0 or a number with s, m, h or d, such as 30s, 5m or 4h",
            "vigil.yaml:7: notifications.smtp.tls: want none, auto, starttls or tls",
            "vigil.yaml:7: notifications.smtp.ca_cert: /nonexistent/ca.pem is not a readable file",
            "vigil.yaml:7: notifications.smtp.port: is not an smtp key (want server, tls, username, password, ca_cert, from)",
            "vigil.yaml:8: notifications.colour: is not a notifications key (want defaults, group_by, group_wait, group_interval, repeat_interval, smtp)",
        ])
    }

    @Test("a secret from the environment is never echoed in a problem")
    func secretsNotEchoed() {
        let found = problems("delivery:\n  - name: a\n    url: ${URL}\n", environment: ["URL": "s3cr3t-value"])
        #expect(found.count == 1)
        #expect(!found[0].contains("s3cr3t-value"))
    }
}

/// The commented example in docs/ is a working file.
struct ExampleConfigTests {
    @Test("docs/vigil.example.yaml parses: one delivery, forwarding and metrics entry, notification defaults, as commented")
    func example() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/vigil.example.yaml")
        let ca = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-example-ca-\(UUID().uuidString).pem")
        try "test".write(to: ca, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: ca) }
        let text = try String(contentsOf: docs, encoding: .utf8).replacingOccurrences(of: "/etc/vigil/siem-ca.pem", with: ca.path)
        let file = try ConfigFile.parse(text, path: "vigil.example.yaml", environment: ["AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"])
        #expect(file.deliveries.map(\.name) == ["lake"])
        #expect(file.deliveries.first?.digestIntervalMillis == 3_600_000)
        #expect(file.forwards.map(\.name) == ["siem"])
        #expect(file.forwards.first?.serviceNames == ["accounts", "apps"])
        #expect(file.forwards.first?.url == "syslog+tls://siem.internal:6514")
        #expect(file.syslogListens == ["udp://127.0.0.1:5514", "tcp://127.0.0.1:5514"])
        #expect(file.metrics.map(\.namespace) == ["Vigil"] && file.metrics.first?.include?.count == 3)
        #expect(file.notifications.defaults == ["high": ["oncall-slack"], "critical": ["oncall-slack", "pager"]])
        #expect(file.notifications.groupBy == "alertname" && file.notifications.groupWait == "30s" && file.notifications.repeatInterval == "4h")
    }
}
