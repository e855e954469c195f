import Crypto
import Foundation
import Testing
import VigilCore
import VigilNotify
import VigilServer
import VigilTesting

/// Alerts reaching people: destinations managed through the Databricks API, a firing delivered to a real HTTP
/// receiver in Alertmanager's webhook shape (signed, with basic auth), retried through 5xx, refused for good on 4xx,
/// kept across a restart, and resolved.
@Suite("Notifications")
struct NotificationsTests {
    /// Fast retries and resolution so the tests wait milliseconds, not minutes.
    static func configuration(resolveAfter: Duration = .seconds(3600)) -> VigilConfiguration {
        var configuration = VigilConfiguration()
        configuration.notifications.service.retry = RetrySchedule(baseMillis: 50, capMillis: 200, maxAttempts: 4)
        configuration.notifications.service.pollInterval = .milliseconds(50)
        configuration.notifications.deliveryTimeout = .seconds(1)
        configuration.detections.resolveAfter = resolveAfter
        configuration.detections.resolveInterval = .milliseconds(100)
        return configuration
    }

    static func rule(notify: String) -> String {
        """
        title: Secret read
        id: secret-read
        level: high
        notify: [\(notify)]
        logsource: {product: vigil, service: audit}
        detection:
          selection:
            action_name: getSecret
          condition: selection
        """
    }

    static func createDestination(_ server: LiveServer, _ json: String) async throws -> JSONValue {
        let reply = try await server.request(.POST, "/api/2.0/notification-destinations", json: json)
        #expect(reply.status == 200, "\(reply.text)")
        return try reply.json()
    }

    static func secretRead(_ server: LiveServer, id: String, user: String = "mallory@x.com") async throws {
        let now = SystemWallClock().nowMillis()
        let event = """
            {"service_name":"secrets","action_name":"getSecret","event_time":"\(Timestamp.formatRFC3339(millis: now))","event_id":"\(id)",
             "source_ip_address":"203.0.113.9","user_identity":{"email":"\(user)"},"response":{"status_code":200}}
            """
        let reply = try await server.request(.POST, "/api/2.0/audit/events", json: "[\(event)]")
        #expect(reply.status == 200, "\(reply.text)")
    }

    static func notifications(_ server: LiveServer, alert: String) async throws -> [JSONValue] {
        guard case .array(let items)? = try await server.request(.GET, "/api/2.0/vigil/alerts/\(alert)").json()["notifications"] else { return [] }
        return items
    }

    @Test("destinations: create, list, get, update and delete in the Databricks shape; secrets never answered; each refusal named")
    func destinationsAPI() async throws {
        try await LiveServer.run { server in
            let created = try await Self.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"https://h.example/x?key=SECRET1","username":"u","password":"SECRET2","signing_secret":"SECRET3"}}}"#)
            guard case .string(let id)? = created["id"] else { Issue.record("no id: \(created)"); return }
            #expect(created["destination_type"] == .string("WEBHOOK"))
            #expect(created["config"]?["generic_webhook"]?["url_set"] == .bool(true))
            #expect(created["config"]?["generic_webhook"]?["password_set"] == .bool(true))
            #expect(created["config"]?["generic_webhook"]?["signing_secret_set"] == .bool(true))
            _ = try await Self.createDestination(server, #"{"display_name":"mail","config":{"email":{"addresses":["oncall@example.com"]}}}"#)
            _ = try await Self.createDestination(server, #"{"display_name":"am","config":{"alertmanager":{"url":"http://127.0.0.1:9093"}}}"#)
            _ = try await Self.createDestination(server, #"{"display_name":"chat","config":{"slack":{"url":"https://hooks.slack.com/services/T/B/SECRET4"}}}"#)
            // A page of two, then the rest; the list has no config.
            let first = try await server.request(.GET, "/api/2.0/notification-destinations?page_size=2").json()
            guard case .array(let page)? = first["results"], case .string(let token)? = first["next_page_token"] else { Issue.record("\(first)"); return }
            #expect(page.map { $0["display_name"] } == [.string("am"), .string("chat")])
            #expect(page.allSatisfy { $0["config"] == nil })
            let rest = try await server.request(.GET, "/api/2.0/notification-destinations?page_size=2&page_token=\(token)").json()
            guard case .array(let second)? = rest["results"] else { Issue.record("\(rest)"); return }
            #expect(second.map { $0["display_name"] } == [.string("hook"), .string("mail")])
            #expect(rest["next_page_token"] == nil)
            // Get: admins see the config (flags, and addresses as given); a plain user sees no config.
            let got = try await server.request(.GET, "/api/2.0/notification-destinations/\(id)")
            #expect(got.status == 200)
            let user = try await Self.plainUserToken(server)
            let seen = try await server.request(.GET, "/api/2.0/notification-destinations/\(id)", token: .value(user)).json()
            #expect(seen["display_name"] == .string("hook"))
            #expect(seen["config"] == nil)
            #expect(try await server.request(.POST, "/api/2.0/notification-destinations", json: #"{"display_name":"x","config":{"email":{"addresses":["a@b.co"]}}}"#, token: .value(user)).status == 403)
            // Update merges: a new name and password keep the URL; the kind cannot change.
            let patched = try await server.request(.PATCH, "/api/2.0/notification-destinations/\(id)",
                                                   json: #"{"display_name":"hook2","config":{"generic_webhook":{"password":"SECRET5"}}}"#)
            #expect(patched.status == 200, "\(patched.text)")
            #expect(try patched.json()["display_name"] == .string("hook2"))
            #expect(try patched.json()["config"]?["generic_webhook"]?["url_set"] == .bool(true))
            let kind = try await server.request(.PATCH, "/api/2.0/notification-destinations/\(id)", json: #"{"config":{"slack":{"url":"https://x.example"}}}"#)
            #expect(kind.status == 400)
            #expect(kind.text.contains("cannot change"))
            // Refusals, each naming its field and reason.
            let refusals: [(String, String)] = [
                (#"{"config":{"email":{"addresses":["a@b.co"]}}}"#, "display_name is required"),
                (#"{"display_name":"n"}"#, "config is required"),
                (#"{"display_name":"n","config":{"pagerduty":{"integration_key":"k"}}}"#, "config.pagerduty is not supported"),
                (#"{"display_name":"n","config":{"carrier_pigeon":{}}}"#, "config.carrier_pigeon is not a destination kind"),
                (#"{"display_name":"n","config":{"email":{"addresses":["a@b.co"]},"slack":{"url":"https://x.example"}}}"#, "exactly one"),
                (#"{"display_name":"n","config":{"generic_webhook":{"url":"ftp://x.example/"}}}"#, "config.generic_webhook.url must be an absolute http"),
                (#"{"display_name":"n","config":{"generic_webhook":{"url":"https://x.example","username":"u"}}}"#, "needs both username and password"),
                (#"{"display_name":"n","config":{"generic_webhook":{"url":"https://x.example","token":"t"}}}"#, "config.generic_webhook.token is not a field"),
                (#"{"display_name":"n","config":{"slack":{"url":"https://x.example","oauth_token":"t"}}}"#, "config.slack.oauth_token is not supported"),
                (#"{"display_name":"n","config":{"email":{"addresses":["not an address"]}}}"#, "config.email.addresses[0] is not an email address"),
                (#"{"display_name":"n","config":{"email":{"addresses":[]}}}"#, "non-empty array"),
                (#"{"display_name":"n","config":{"alertmanager":{}}}"#, "config.alertmanager.url is required"),
                (#"{"display_name":"n","config":{"email":{"addresses":["a@b.co"]}},"extra":1}"#, "unknown field 'extra'"),
            ]
            for (body, reason) in refusals {
                let reply = try await server.request(.POST, "/api/2.0/notification-destinations", json: body)
                #expect(reply.status == 400, "\(body): \(reply.text)")
                #expect(reply.text.contains(reason), "\(body): \(reply.text)")
            }
            let taken = try await server.request(.POST, "/api/2.0/notification-destinations", json: #"{"display_name":"mail","config":{"email":{"addresses":["a@b.co"]}}}"#)
            #expect(taken.status == 409)
            #expect(try await server.request(.GET, "/api/2.0/notification-destinations/nope").status == 404)
            #expect(try await server.request(.DELETE, "/api/2.0/notification-destinations/\(id)").status == 200)
            #expect(try await server.request(.DELETE, "/api/2.0/notification-destinations/\(id)").status == 404)
            // No secret anywhere in what the server answers or audits.
            let audit = try await server.request(.GET, "/api/2.0/audit/events?service_name=notificationDestinations&page_size=100").text
            #expect(audit.contains("createNotificationDestination"))
            for secret in ["SECRET1", "SECRET2", "SECRET3", "SECRET4", "SECRET5"] {
                #expect(!audit.contains(secret))
                #expect(!JSONWriter.text(of: created).contains(secret))
            }
        }
    }

    static func plainUserToken(_ server: LiveServer) async throws -> String {
        _ = try await server.request(.POST, "/api/2.0/preview/scim/v2/Users", json: #"{"userName":"plain@x.com"}"#)
        let reply = try await server.request(.POST, "/api/2.0/token-management/on-behalf-of/tokens", json: #"{"user_name":"plain@x.com"}"#)
        guard case .string(let token)? = try reply.json()["token_value"] else { throw VigilError(.internal, reply.text) }
        return token
    }

    @Test("a firing reaches a webhook in Alertmanager's payload, signed and with basic auth; a 5xx is retried, a 4xx is not")
    func webhookDelivery() async throws {
        try await WebhookReceiver.run(script: [.init(503, "busy"), .init(500)]) { receiver in
            try await LiveServer.run(configuration: Self.configuration()) { server in
                _ = try await Self.createDestination(server, """
                    {"display_name":"hook","config":{"generic_webhook":{"url":"\(receiver.url)/hook","username":"vigil","password":"pw","signing_secret":"s3cret"}}}
                    """)
                let rule = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "hook").utf8), contentType: "application/yaml")
                #expect(rule.status == 201, "\(rule.text)")
                try await Self.secretRead(server, id: "read-1")
                try await AppLogsTests.eventually { receiver.received.count == 3 }
                let delivered = try #require(receiver.received.last)
                #expect(delivered.path == "/hook")
                #expect(delivered.headers["authorization"] == "Basic " + Data("vigil:pw".utf8).base64EncodedString())
                // The signature covers the timestamp and the body, with the destination's secret.
                let timestamp = try #require(delivered.headers["x-vigil-timestamp"])
                var mac = HMAC<SHA256>(key: SymmetricKey(data: Array("s3cret".utf8)))
                mac.update(data: Array((timestamp + ".").utf8))
                mac.update(data: delivered.body)
                let expected = "sha256=" + mac.finalize().map { String(format: "%02x", $0) }.joined()
                #expect(delivered.headers["x-vigil-signature"] == expected)
                // Every attempt is the same delivery.
                #expect(Set(receiver.received.map { $0.headers["x-vigil-delivery"] ?? "" }).count == 1)
                let body = try JSONParser.parse(delivered.body)
                #expect(body["version"] == .string("4"))
                #expect(body["status"] == .string("firing"))
                #expect(body["receiver"] == .string("hook"))
                #expect(body["groupLabels"]?["alertname"] == .string("secret-read"))
                let alert = try #require(body["alerts"]?[0])
                #expect(alert["labels"]?["severity"] == .string("high"))
                #expect(alert["annotations"]?["summary"] == .string("Secret read"))
                #expect(alert["annotations"]?["event_ids"] == .string("read-1"))
                #expect(alert["endsAt"] == .string("0001-01-01T00:00:00Z"))
                guard case .string(let link)? = alert["generatorURL"], case .string(let alertID)? = alert["labels"]?["vigil_alert_id"] else {
                    Issue.record("\(alert)"); return
                }
                #expect(link == server.baseURL + "/api/2.0/vigil/alerts/\(alertID)")
                try await AppLogsTests.eventually { try await Self.notifications(server, alert: alertID).first?["state"] == .string("delivered") }
                let notification = try #require(try await Self.notifications(server, alert: alertID).first)
                #expect(notification["attempts"] == .number("3"))
                // A 4xx is not worth repeating: failed after one attempt, its reason kept.
                receiver.script([.init(400, "bad payload")])
                try await Self.secretRead(server, id: "read-2")
                try await AppLogsTests.eventually {
                    guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"], alerts.count == 2,
                          case .string(let newest)? = alerts.first?["alert_id"] else { return false }
                    return try await Self.notifications(server, alert: newest).first?["state"] == .string("failed")
                }
                #expect(receiver.received.count == 4)
                let metrics = try await server.request(.GET, "/metrics").text
                #expect(metrics.contains(#"vigil_notifications_delivered_total{destination_id=""#))
                #expect(metrics.contains(#"destination_type="WEBHOOK"} 1"#))
                #expect(metrics.contains(#"vigil_notification_outbox{state="failed"} 1"#))
                #expect(metrics.contains(#"vigil_notification_outbox{state="delivered"} 1"#))
                #expect(metrics.split(separator: "\n").contains { $0.hasPrefix("vigil_notification_retries_total{") && $0.hasSuffix(" 2") })
            }
        }
    }

    @Test("a Retry-After too large to count in milliseconds is capped, not a crash")
    func hugeRetryAfter() async throws {
        try await WebhookReceiver.run(script: [.init(503, "later", headers: ["Retry-After": "9999999999999999"])]) { receiver in
            try await LiveServer.run(configuration: Self.configuration()) { server in
                _ = try await Self.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"\#(receiver.url)/h"}}}"#)
                _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "hook").utf8), contentType: "application/yaml")
                try await Self.secretRead(server, id: "after-1")
                try await AppLogsTests.eventually { receiver.received.count == 2 }
                #expect(try await server.request(.GET, "/health").status == 200)
            }
        }
    }

    @Test("a notification whose receiver is down survives a restart and is delivered once it is up")
    func survivesRestart() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let slow = {
            var configuration = Self.configuration()
            configuration.notifications.service.retry = RetrySchedule(baseMillis: 50, capMillis: 100, maxAttempts: 1000)
            return configuration
        }()
        // The receiver is down (every answer 503) while the first server runs; it keeps its port until the second
        // receiver takes it, so no other test's server can be given that port in between.
        let (port, alertID) = try await WebhookReceiver.run(fallback: .init(503, "down")) { down -> (Int, String) in
            let alertID = try await LiveServer.run(configuration: slow, dataDirectory: folder.path) { server -> String in
                _ = try await Self.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"http://127.0.0.1:\#(down.port)/down"}}}"#)
                _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "hook").utf8), contentType: "application/yaml")
                try await Self.secretRead(server, id: "read-before-restart")
                try await AppLogsTests.eventually {
                    guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"],
                          case .string(let id)? = alerts.first?["alert_id"],
                          case .number(let attempts)? = try await Self.notifications(server, alert: id).first?["attempts"] else { return false }
                    return (Int(attempts) ?? 0) >= 2
                }
                guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"],
                      case .string(let alertID)? = alerts.first?["alert_id"] else { throw VigilError(.internal, "no alert") }
                #expect(try await Self.notifications(server, alert: alertID).first?["state"] == .string("pending"))
                return alertID
            }
            return (down.port, alertID)
        }
        try await WebhookReceiver.run(port: port) { receiver in
            try await LiveServer.run(configuration: slow, dataDirectory: folder.path) { server in
                try await AppLogsTests.eventually { try await Self.notifications(server, alert: alertID).first?["state"] == .string("delivered") }
                #expect(receiver.received.count == 1)
                #expect(receiver.received.first?.text.contains("read-before-restart") == true)
            }
        }
    }

    @Test("an alert resolves after --alert-resolve-after: the state, a vigil/alertResolved audit event, and a resolved notification")
    func resolves() async throws {
        try await WebhookReceiver.run { receiver in
            try await LiveServer.run(configuration: Self.configuration(resolveAfter: .seconds(1))) { server in
                _ = try await Self.createDestination(server, #"{"display_name":"chat","config":{"slack":{"url":"\#(receiver.url)/services/T/B/C"}}}"#)
                _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "chat").utf8), contentType: "application/yaml")
                try await Self.secretRead(server, id: "read-x", user: "<@channel>&co")
                try await AppLogsTests.eventually { receiver.received.count == 2 }
                let (firing, resolved) = (receiver.received[0], receiver.received[1])
                // Slack's shape: one text, with the event's values escaped so they cannot mention or link.
                guard case .string(let text)? = try JSONParser.parse(firing.body)["text"] else { Issue.record("\(firing.text)"); return }
                #expect(text.contains("FIRING"))
                #expect(text.contains("*Secret read*"))
                guard case .string(let after)? = try JSONParser.parse(resolved.body)["text"] else { Issue.record("\(resolved.text)"); return }
                #expect(after.contains("RESOLVED"))
                guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"] else { return }
                #expect(alerts.first?["state"] == .string("RESOLVED"))
                #expect(alerts.first?["resolved_time"] != .null)
                try await AppLogsTests.eventually {
                    guard case .array(let rows)? = try await server.request(.GET, "/api/2.0/audit/events?action_name=alertResolved").json()["events"] else { return false }
                    return rows.count == 1
                }
                // The receiver has the message before the server has its answer and marks the row delivered.
                try await AppLogsTests.eventually {
                    try await server.request(.GET, "/metrics").text.contains(#"vigil_notification_outbox{state="delivered"} 2"#)
                }
            }
        }
    }

    @Test("grouped by alertname: a burst of alerts is one message after group_wait; still TRIGGERED, it is repeated; acknowledged, it stops")
    func groupedAndRepeated() async throws {
        try await WebhookReceiver.run { receiver in
            var configuration = Self.configuration()
            configuration.notifications.routing.grouping = NotificationGrouping(groupBy: ["alertname"], groupWaitMillis: 1000, repeatIntervalMillis: 2000)
            try await LiveServer.run(configuration: configuration) { server in
                _ = try await Self.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"\#(receiver.url)/h"}}}"#)
                _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "hook").utf8), contentType: "application/yaml")
                // Three secret reads in one request: three alerts of one rule.
                let now = Timestamp.formatRFC3339(millis: SystemWallClock().nowMillis())
                let burst = (0..<3).map { index in
                    #"{"service_name":"secrets","action_name":"getSecret","event_time":"\#(now)","event_id":"burst-\#(index)","user_identity":{"email":"u\#(index)@x.com"}}"#
                }
                #expect(try await server.request(.POST, "/api/2.0/audit/events", json: "[\(burst.joined(separator: ","))]").status == 200)
                try await AppLogsTests.eventually { receiver.received.count >= 1 }
                let first = try JSONParser.parse(receiver.received[0].body)
                guard case .array(let alerts)? = first["alerts"] else { Issue.record("\(first)"); return }
                #expect(alerts.count == 3)
                #expect(first["groupKey"] == .string(#"{}:{alertname="secret-read"}"#))
                #expect(first["groupLabels"] == .object([JSONMember("alertname", .string("secret-read"))]))
                #expect(first["commonLabels"]?["vigil_alert_id"] == nil)
                // Still firing after the repeat interval: told again, all three in one message.
                try await AppLogsTests.eventually(timeout: .seconds(10)) { receiver.received.count >= 2 }
                let again = try JSONParser.parse(receiver.received[1].body)
                #expect(again["alerts"].map { if case .array(let items) = $0 { items.count } else { 0 } } == 3)
                #expect(again["status"] == .string("firing"))
                // Acknowledge one: later repeats leave it out.
                guard case .string(let taken)? = alerts[0]["labels"]?["vigil_alert_id"] else { Issue.record("\(alerts[0])"); return }
                #expect(try await server.request(.POST, "/api/2.0/vigil/alerts/\(taken)/acknowledge", json: "{}").status == 200)
                let seen = receiver.received.count
                try await AppLogsTests.eventually(timeout: .seconds(10)) {
                    receiver.received.dropFirst(seen).contains { message in
                        guard case .array(let items)? = try? JSONParser.parse(message.body)["alerts"] else { return false }
                        return items.count == 2 && !items.contains { $0["labels"]?["vigil_alert_id"] == .string(taken) }
                    }
                }
                #expect(try await server.request(.GET, "/metrics").text.contains("vigil_notifications_repeated_total "))
            }
        }
    }

    @Test("Slack: only 200 is delivered; its error answers (400 invalid_token, a 204) fail for good with the reason")
    func slackRefusals() async throws {
        try await WebhookReceiver.run(script: [.init(400, "invalid_token"), .init(204)]) { receiver in
            try await LiveServer.run(configuration: Self.configuration()) { server in
                _ = try await Self.createDestination(server, #"{"display_name":"chat","config":{"slack":{"url":"\#(receiver.url)/services/T/B/C"}}}"#)
                _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "chat").utf8), contentType: "application/yaml")
                try await Self.secretRead(server, id: "slack-1")
                try await Self.secretRead(server, id: "slack-2")
                try await AppLogsTests.eventually {
                    guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"], alerts.count == 2 else { return false }
                    for alert in alerts {
                        guard case .string(let id)? = alert["alert_id"], try await Self.notifications(server, alert: id).first?["state"] == .string("failed") else { return false }
                    }
                    return true
                }
                guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"] else { return }
                var errors: [String] = []
                for alert in alerts {
                    guard case .string(let id)? = alert["alert_id"], case .string(let error)? = try await Self.notifications(server, alert: id).first?["last_error"] else { continue }
                    errors.append(error)
                }
                #expect(errors.sorted() == ["HTTP 204", "HTTP 400: invalid_token"])
                #expect(receiver.received.count == 2, "a refusal is not retried")
            }
        }
    }

    @Test("an alert that resolves while its firing is still undelivered drops the firing (it would reopen the incident) and sends the resolution")
    func resolutionSupersedesFiring() async throws {
        try await WebhookReceiver.run(fallback: .init(503, "down")) { receiver in
            var configuration = Self.configuration(resolveAfter: .seconds(1))
            configuration.notifications.service.retry = RetrySchedule(baseMillis: 50, capMillis: 100, maxAttempts: 1000)
            try await LiveServer.run(configuration: configuration) { server in
                _ = try await Self.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"\#(receiver.url)/h"}}}"#)
                _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "hook").utf8), contentType: "application/yaml")
                try await Self.secretRead(server, id: "late-1")
                try await AppLogsTests.eventually {
                    guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history?state=RESOLVED").json()["alerts"],
                          case .string(let id)? = alerts.first?["alert_id"] else { return false }
                    return try await Self.notifications(server, alert: id).count == 2
                }
                guard case .string(let id)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"]?[0]?["alert_id"] else { return }
                let rows = try await Self.notifications(server, alert: id)
                let firing = try #require(rows.first { $0["status"] == .string("firing") })
                #expect(firing["state"] == .string("dropped"))
                #expect(firing["last_error"] == .string("superseded by the alert's resolution"))
                let resolved = try #require(rows.first { $0["status"] == .string("resolved") })
                #expect(resolved["state"] == .string("pending"))
                // The receiver is back: only the resolution arrives.
                receiver.script(Array(repeating: .init(200, "ok"), count: 50))
                try await AppLogsTests.eventually { try await Self.notifications(server, alert: id).contains { $0["state"] == .string("delivered") } }
                let delivered = receiver.received.filter { (try? JSONParser.parse($0.body)["status"]) != nil }.last
                #expect(try delivered.map { try JSONParser.parse($0.body)["status"] } == .string("resolved"))
            }
        }
    }

    @Test("a rule past --detection-alert-limit: the first firings are stored, the rest counted per rule and logged")
    func alertLimit() async throws {
        var configuration = Self.configuration()
        configuration.detections.maxAlertsPerRulePerMinute = 3
        try await LiveServer.run(configuration: configuration) { server in
            _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(Self.rule(notify: "").utf8), contentType: "application/yaml")
            let now = Timestamp.formatRFC3339(millis: SystemWallClock().nowMillis())
            let reads = (0..<10).map { #"{"service_name":"secrets","action_name":"getSecret","event_time":"\#(now)","event_id":"storm-\#($0)"}"# }
            #expect(try await server.request(.POST, "/api/2.0/audit/events", json: "[\(reads.joined(separator: ","))]").status == 200)
            try await AppLogsTests.eventually {
                try await server.request(.GET, "/metrics").text.contains(#"vigil_detection_alerts_suppressed_total{rule_id="secret-read"} 7"#)
            }
            guard case .array(let alerts)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"] else { return }
            #expect(alerts.count == 3)
            #expect(try await server.request(.GET, "/metrics").text.contains("vigil_detection_alerts_total 3\n"))
        }
    }

    @Test("a rule naming no destination uses the level's default; an unknown name is counted, not fatal")
    func levelDefaultsAndUnknownNames() async throws {
        try await WebhookReceiver.run { receiver in
            var configuration = Self.configuration()
            configuration.notifications.routing = NotificationRouting(defaultsByLevel: ["high": ["oncall", "ghost"]])
            try await LiveServer.run(configuration: configuration) { server in
                _ = try await Self.createDestination(server, #"{"display_name":"oncall","config":{"generic_webhook":{"url":"\#(receiver.url)/oncall"}}}"#)
                let rule = Self.rule(notify: "").replacingOccurrences(of: "notify: []\n", with: "")
                let created = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(rule.utf8), contentType: "application/yaml")
                #expect(created.status == 201, "\(created.text)")
                try await Self.secretRead(server, id: "read-default")
                try await AppLogsTests.eventually { receiver.received.count == 1 }
                #expect(receiver.received.first?.path == "/oncall")
                #expect(try await server.request(.GET, "/metrics").text.contains("vigil_notification_unroutable_total 1\n"))
            }
        }
    }
}

/// Silences and acknowledgements: a silenced alert is kept and audited but notifies no one; an acknowledged one
/// records who took it; each refusal says why.
@Suite("Silences and acknowledgements")
struct SilencesTests {
    @Test("a matching silence keeps an alert quiet (SILENCED, vigil/alertSilenced, no notification); expired, alerts notify again")
    func silences() async throws {
        try await WebhookReceiver.run { receiver in
            try await LiveServer.run(configuration: NotificationsTests.configuration()) { server in
                _ = try await NotificationsTests.createDestination(server, #"{"display_name":"hook","config":{"generic_webhook":{"url":"\#(receiver.url)/h"}}}"#)
                _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(NotificationsTests.rule(notify: "hook").utf8), contentType: "application/yaml")
                let created = try await server.request(.POST, "/api/2.0/vigil/silences", json: """
                    {"matchers":[{"name":"alertname","value":"secret-.*","isRegex":true},{"name":"severity","value":"high"}],
                     "endsAt":"2099-01-01T00:00:00Z","comment":"key rotation"}
                    """)
                #expect(created.status == 200, "\(created.text)")
                guard case .string(let silenceID)? = try created.json()["silenceID"] else { Issue.record("\(created.text)"); return }
                let listed = try await server.request(.GET, "/api/2.0/vigil/silences").json()
                #expect(listed["silences"]?[0]?["status"]?["state"] == .string("active"))
                #expect(listed["silences"]?[0]?["createdBy"] != nil)
                try await NotificationsTests.secretRead(server, id: "quiet-1")
                try await AppLogsTests.eventually {
                    guard case .array(let rows)? = try await server.request(.GET, "/api/2.0/audit/events?action_name=alertSilenced").json()["events"] else { return false }
                    return rows.count == 1 && rows.first?["request_params"]?["silence_id"] == .string(silenceID)
                }
                let silenced = try await server.request(.GET, "/api/2.0/vigil/alert-history?state=SILENCED").json()
                #expect(silenced["alerts"]?[0]?["silenced_by"] == .string(silenceID))
                guard case .string(let quietID)? = silenced["alerts"]?[0]?["alert_id"] else { Issue.record("\(silenced)"); return }
                #expect(try await NotificationsTests.notifications(server, alert: quietID).isEmpty)
                // Expired: the next alert notifies.
                #expect(try await server.request(.DELETE, "/api/2.0/vigil/silences/\(silenceID)").status == 200)
                let again = try await server.request(.DELETE, "/api/2.0/vigil/silences/\(silenceID)")
                #expect(again.status == 400)
                #expect(again.text.contains("already expired"))
                #expect(try await server.request(.DELETE, "/api/2.0/vigil/silences/nope").status == 404)
                #expect(try await server.request(.GET, "/api/2.0/vigil/silences").json()["silences"] == .array([]))
                #expect(try await server.request(.GET, "/api/2.0/vigil/silences?include_expired=true").json()["silences"]?[0]?["status"]?["state"] == .string("expired"))
                try await NotificationsTests.secretRead(server, id: "loud-1")
                try await AppLogsTests.eventually { receiver.received.count == 1 }
                #expect(receiver.received.first?.text.contains("loud-1") == true)
                // The history as a SQL table.
                let sql = try await server.request(.POST, "/api/2.0/sql/statements", json: """
                    {"statement":"SELECT state, silenced_by, rule_id, event_ids[0] FROM system.vigil.alert_history ORDER BY alert_id","warehouse_id":"x","wait_timeout":"30s"}
                    """)
                #expect(sql.status == 200, "\(sql.text)")
                #expect(try sql.json()["result"]?["data_array"] == .array([
                    .array([.string("SILENCED"), .string(silenceID), .string("secret-read"), .string("quiet-1")]),
                    .array([.string("TRIGGERED"), .null, .string("secret-read"), .string("loud-1")]),
                ]), "\(sql.text)")
                // Refusals.
                let refused = try await server.request(.POST, "/api/2.0/vigil/silences", json: #"{"matchers":[{"name":"alertname","value":"x"}],"endsAt":"2099-01-01T00:00:00Z"}"#)
                #expect(refused.status == 400)
                #expect(refused.text.contains("comment is required"))
                #expect(try await server.request(.GET, "/api/2.0/vigil/silences?include_expired=maybe").status == 400)
            }
        }
    }

    @Test("acknowledge: TRIGGERED becomes ACKNOWLEDGED with who and when, once; then it resolves on time")
    func acknowledge() async throws {
        // The alert must still be TRIGGERED when acknowledged: 40 s is far beyond the few requests in between, even on
        // a loaded two-core machine (8 s was not).
        try await LiveServer.run(configuration: NotificationsTests.configuration(resolveAfter: .seconds(40))) { server in
            _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(NotificationsTests.rule(notify: "").utf8), contentType: "application/yaml")
            try await NotificationsTests.secretRead(server, id: "ack-1")
            try await AppLogsTests.eventually { try await server.request(.GET, "/api/2.0/vigil/alert-history?state=TRIGGERED").json()["alerts"]?[0] != nil }
            guard case .string(let id)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"]?[0]?["alert_id"] else { return }
            let acked = try await server.request(.POST, "/api/2.0/vigil/alerts/\(id)/acknowledge", json: "{}")
            #expect(acked.status == 200, "\(acked.text)")
            #expect(try acked.json()["state"] == .string("ACKNOWLEDGED"))
            #expect(try acked.json()["acknowledged_by"] != .null)
            let twice = try await server.request(.POST, "/api/2.0/vigil/alerts/\(id)/acknowledge", json: "{}")
            #expect(twice.status == 400)
            #expect(twice.text.contains("only a TRIGGERED or SILENCED alert can be acknowledged"))
            #expect(try await server.request(.POST, "/api/2.0/vigil/alerts/999999/acknowledge", json: "{}").status == 404)
            #expect(try await server.request(.POST, "/api/2.0/vigil/alerts/x/acknowledge", json: "{}").status == 400)
            #expect(try await server.request(.GET, "/api/2.0/vigil/alert-history?state=NOPE").status == 400)
            try await AppLogsTests.eventually(timeout: .seconds(180)) { try await server.request(.GET, "/api/2.0/vigil/alerts/\(id)").json()["state"] == .string("RESOLVED") }
            guard case .array(let rows)? = try await server.request(.GET, "/api/2.0/audit/events?action_name=acknowledgeAlert").json()["events"] else { return }
            #expect(rows.contains { $0["request_params"]?["alert_id"] == .string(id) && $0["response"]?["status_code"] == .number("200") })
        }
    }

    @Test("vigil alerts: silence, silences, list --state, get, ack and unsilence from the command line")
    func commandLine() async throws {
        try await LiveServer.run(configuration: NotificationsTests.configuration()) { server in
            let environment = ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken]
            _ = try await server.request(.POST, "/api/2.0/vigil/detections", body: Array(NotificationsTests.rule(notify: "").utf8), contentType: "application/yaml")
            let bad = try await CommandRunner.run(["alerts", "silence", "alertname", "--comment", "x"], environment: environment)
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("must be name=value"), "\(bad.stderr)")
            let made = try await CommandRunner.run(["alerts", "silence", "alertname=secret-read", "--duration", "2h", "--comment", "rotation"], environment: environment)
            #expect(made.status == 0, "\(made.stderr)")
            let silenceID = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(silenceID.count == 36)
            let listed = try await CommandRunner.run(["alerts", "silences"], environment: environment)
            #expect(listed.stdout.contains("alertname=secret-read"), "\(listed.stdout)")
            #expect(listed.stdout.contains("active"))
            try await NotificationsTests.secretRead(server, id: "cli-1")
            try await AppLogsTests.eventually {
                try await CommandRunner.run(["alerts", "list", "--state", "SILENCED"], environment: environment).stdout.contains("secret-read")
            }
            guard case .string(let id)? = try await server.request(.GET, "/api/2.0/vigil/alert-history").json()["alerts"]?[0]?["alert_id"] else { return }
            let got = try await CommandRunner.run(["alerts", "get", id], environment: environment)
            #expect(got.stdout.contains("state: SILENCED"), "\(got.stdout)")
            #expect(got.stdout.contains("silenced_by: \(silenceID)"), "\(got.stdout)")
            #expect(got.stdout.contains("notifications: none"))
            let acked = try await CommandRunner.run(["alerts", "ack", id], environment: environment)
            #expect(acked.stdout == "alert \(id) is ACKNOWLEDGED\n", "\(acked.stdout)\(acked.stderr)")
            #expect(try await CommandRunner.run(["alerts", "unsilence", silenceID], environment: environment).status == 0)
            let gone = try await CommandRunner.run(["alerts", "silences"], environment: environment)
            #expect(!gone.stdout.contains(silenceID))
            #expect(try await CommandRunner.run(["alerts", "silences", "--all"], environment: environment).stdout.contains("expired"))
        }
    }
}
