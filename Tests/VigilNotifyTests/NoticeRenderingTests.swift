import Foundation
import Testing
import VigilCore
@testable import VigilNotify

/// Each destination's wire shape for one notice, with no network.
struct NoticeRenderingTests {
    static let firing = AlertNotice(
        status: .firing, alertID: 42, ruleID: "brute-force", title: "Brute force <script>", level: "high", workspaceID: "1001",
        group: [.init("source_ip_address", "198.51.100.7"), .init("user_identity.email", "<@here>&x")], count: 5,
        eventIDs: (0..<12).map { "e\($0)" }, startsMillis: 1_700_000_000_000, endsMillis: 1_700_000_900_000, link: "http://vigil/api/2.0/vigil/alerts/42")

    var resolved: AlertNotice {
        var notice = Self.firing
        notice.status = .resolved
        notice.endsMillis = 1_700_000_600_000
        return notice
    }

    @Test("labels are Alertmanager's identity: rule, severity, alert, workspace and group-by values under valid names")
    func labels() {
        let labels = Self.firing.labels.map { "\($0.name)=\($0.value)" }
        #expect(labels == ["alertname=brute-force", "severity=high", "vigil_alert_id=42", "workspace_id=1001",
                           "source_ip_address=198.51.100.7", "user_identity_email=<@here>&x"])
        #expect(AlertNotice.labelName("9lives.x-y") == "_9lives_x_y")
        #expect(Self.firing.eventIDs.count == 10)
        // The same labels, the same fingerprint; firing and resolved are one alert.
        #expect(Self.firing.fingerprint == resolved.fingerprint)
        #expect(Self.firing.fingerprint.count == 16)
        var other = Self.firing
        other.alertID = 43
        #expect(other.fingerprint != Self.firing.fingerprint)
    }

    @Test("Alertmanager: an array of one postableAlert; resolved carries its past endsAt")
    func alertmanager() throws {
        let body = try JSONParser.parse(NoticeRendering.alertmanager([Self.firing]))
        guard case .array(let alerts) = body, alerts.count == 1 else { Issue.record("\(body)"); return }
        #expect(alerts[0]["labels"]?["alertname"] == .string("brute-force"))
        #expect(alerts[0]["startsAt"] == .string("2023-11-14T22:13:20.000Z"))
        #expect(alerts[0]["endsAt"] == .string("2023-11-14T22:28:20.000Z"))
        #expect(alerts[0]["generatorURL"] == .string("http://vigil/api/2.0/vigil/alerts/42"))
        #expect(alerts[0]["status"] == nil)
        let ended = try JSONParser.parse(NoticeRendering.alertmanager([resolved]))
        #expect(ended[0]?["endsAt"] == .string("2023-11-14T22:23:20.000Z"))
    }

    @Test("webhook: Alertmanager's version 4 payload; a firing alert ends at the zero time, a resolved one when it resolved")
    func webhook() throws {
        let body = try JSONParser.parse(NoticeRendering.webhook([Self.firing], receiver: "hook", externalURL: "http://vigil"))
        for key in ["version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"] {
            #expect(body[key] != nil, "\(key)")
        }
        // Each alert its own group by default (`...`): the key names all its labels.
        #expect(body["groupKey"] == .string(#"{}:{alertname="brute-force", severity="high", source_ip_address="198.51.100.7", user_identity_email="<@here>&x", vigil_alert_id="42", workspace_id="1001"}"#))
        #expect(body["groupLabels"]?["vigil_alert_id"] == .string("42"))
        #expect(body["alerts"]?[0]?["status"] == .string("firing"))
        #expect(body["alerts"]?[0]?["endsAt"] == .string("0001-01-01T00:00:00Z"))
        #expect(body["alerts"]?[0]?["fingerprint"] == .string(Self.firing.fingerprint))
        #expect(body["commonAnnotations"]?["description"] == .string("5 events, source_ip_address=198.51.100.7, user_identity.email=<@here>&x"))
        let ended = try JSONParser.parse(NoticeRendering.webhook([resolved], receiver: "hook", externalURL: "http://vigil"))
        #expect(ended["status"] == .string("resolved"))
        #expect(ended["alerts"]?[0]?["endsAt"] == .string("2023-11-14T22:23:20.000Z"))
    }

    @Test("Slack: values escaped so an event cannot mention, link or format")
    func slack() throws {
        guard case .string(let text)? = try JSONParser.parse(NoticeRendering.slack([Self.firing]))["text"] else { Issue.record("no text"); return }
        #expect(text.contains("*Brute force &lt;script&gt;*"))
        #expect(text.contains("user_identity.email=&lt;@here&gt;&amp;x"))
        #expect(!text.contains("<@here>"))
        #expect(text.hasSuffix("<http://vigil/api/2.0/vigil/alerts/42|alert 42>"))
    }

    @Test("email: a subject without line breaks, the facts in the body")
    func email() {
        var notice = Self.firing
        notice.title = "Injected\r\nBcc: evil@example.com"
        let (subject, body) = NoticeRendering.email([notice])
        #expect(subject == "[Vigil] FIRING high: Injected  Bcc: evil@example.com")
        #expect(body.contains("Rule:      brute-force\r\n"))
        #expect(body.contains("  source_ip_address = 198.51.100.7"))
        let (_, resolvedBody) = NoticeRendering.email([resolved])
        #expect(resolvedBody.contains("Resolved:  2023-11-14T22:23:20.000Z"))
    }

    @Test("mail lines stay under SMTP's 1,000 octets: long values wrapped between characters, never cut; a long subject ends in …")
    func longLines() {
        var notice = Self.firing
        notice.title = String(repeating: "ü", count: 600)
        notice.group = [.init("request_params.query", String(repeating: "ab€", count: 700))]
        let (subject, body) = NoticeRendering.email([notice])
        #expect(subject.count == 150 && subject.hasSuffix("…"))
        for line in body.components(separatedBy: "\r\n") { #expect(line.utf8.count <= 900) }
        #expect(body.replacingOccurrences(of: "\r\n", with: "").contains(String(repeating: "ab€", count: 700)))
        #expect(body.contains(String(repeating: "ü", count: 450)))
        // The subject's encoded words are at most 75 characters each, on folded lines, and decode to the subject.
        let header = SMTPClient.encodedHeader(subject)
        let words = header.components(separatedBy: "\r\n ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.count <= 75 && $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") })
        let decoded = words.map { String(decoding: Data(base64Encoded: String($0.dropFirst(10).dropLast(2)))!, as: UTF8.self) }.joined()
        #expect(decoded == subject)
    }

    @Test("the stored form round-trips")
    func stored() {
        #expect(AlertNotice(json: Self.firing.json) == Self.firing)
        #expect(AlertNotice(json: resolved.json) == resolved)
        #expect(AlertNotice(json: .object([])) == nil)
    }

    @Test("the webhook signature is HMAC-SHA256 over timestamp.body (a vector computed with Python's hmac)")
    func signature() {
        #expect(NotificationDelivery.signature(secret: "s3cret", timestamp: "1700000000", body: Array(#"{"a":1}"#.utf8))
                == "1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940")
    }

    @Test("mail: dot-stuffing, CRLF line ends, an encoded non-ASCII subject, headers without line breaks")
    func compose() {
        let message = SMTPClient.compose(from: "vigil@x.co", to: ["a@b.co", "c@d.co"], subject: "Zugriff außerhalb", body: "line\n.dot\n..two\nend",
                                         headers: [("X-Vigil-Alert-Id", "7\r\nBcc: e@f.co")], date: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(message.contains("To: a@b.co, c@d.co\r\n"))
        #expect(message.contains("Subject: =?UTF-8?B?" + Data("Zugriff außerhalb".utf8).base64EncodedString() + "?=\r\n"))
        #expect(message.contains("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"))
        #expect(message.contains("X-Vigil-Alert-Id: 7  Bcc: e@f.co\r\n"))
        #expect(message.hasSuffix("\r\n\r\nline\r\n..dot\r\n...two\r\nend\r\n"))
        #expect(!message.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
    }
}
