import Testing
import VigilCore
@testable import VigilNotify

/// Reading a destination's `config` as Databricks sends it: each kind, each refusal by field and reason, updates
/// that merge, and answers that never hold a secret.
struct DestinationConfigTests {
    func decode(_ json: String, existing: DestinationConfig? = nil) throws -> DestinationConfig {
        try DestinationConfig.decode(try JSONParser.parse(json), existing: existing)
    }

    func refusal(_ json: String, existing: DestinationConfig? = nil) -> String {
        do {
            _ = try decode(json, existing: existing)
            return "accepted"
        } catch {
            return (error as? VigilError)?.message ?? "\(error)"
        }
    }

    @Test("each kind is read, with its type")
    func kinds() throws {
        #expect(try decode(#"{"generic_webhook":{"url":"https://h.example/x","username":"u","password":"p","signing_secret":"s"}}"#)
                == .webhook(url: "https://h.example/x", username: "u", password: "p", signingSecret: "s"))
        #expect(try decode(#"{"slack":{"url":"https://hooks.slack.com/services/T/B/C"}}"#) == .slack(url: "https://hooks.slack.com/services/T/B/C"))
        #expect(try decode(#"{"email":{"addresses":["a@b.co","ops+vigil@example.com"]}}"#) == .email(addresses: ["a@b.co", "ops+vigil@example.com"]))
        #expect(try decode(#"{"alertmanager":{"url":"http://127.0.0.1:9093"}}"#).type == .alertmanager)
        // What a client read back (`*_set` flags) is skipped, not refused.
        #expect(try decode(#"{"slack":{"url":"https://x.example","url_set":true}}"#) == .slack(url: "https://x.example"))
    }

    @Test("refusals name the field and the reason")
    func refusals() {
        #expect(refusal(#"[]"#).contains("config must be an object"))
        #expect(refusal(#"{}"#).contains("exactly one"))
        #expect(refusal(#"{"microsoft_teams":{"url":"https://x.example"}}"#).contains("config.microsoft_teams is not supported by Vigil"))
        #expect(refusal(#"{"sms":{}}"#).contains("config.sms is not a destination kind"))
        #expect(refusal(#"{"slack":"https://x.example"}"#).contains("config.slack must be an object"))
        #expect(refusal(#"{"slack":{}}"#).contains("config.slack.url is required"))
        #expect(refusal(#"{"slack":{"url":"https://x.example","channel_id":"C1"}}"#).contains("config.slack.channel_id is not supported"))
        #expect(refusal(#"{"generic_webhook":{"url":"http://"}}"#).contains("config.generic_webhook.url must be an absolute http"))
        #expect(refusal(#"{"generic_webhook":{"url":"https://x.example/a b"}}"#).contains("must be an absolute"))
        #expect(refusal(#"{"generic_webhook":{"url":7}}"#).contains("config.generic_webhook.url must be a string"))
        #expect(refusal(#"{"generic_webhook":{"url":"https://x.example","password":"p"}}"#).contains("needs both username and password"))
        #expect(refusal(#"{"generic_webhook":{"url":"https://x.example","username":"a:b","password":"p"}}"#).contains("without control characters or ':'"))
        let long = String(repeating: "a", count: 2100)
        #expect(refusal(#"{"generic_webhook":{"url":"https://x.example/\#(long)"}}"#).contains("longer than 2048"))
        #expect(refusal(#"{"email":{"addresses":"a@b.co"}}"#).contains("non-empty array"))
        #expect(refusal(#"{"email":{"addresses":["a@b.co","x\r\nBcc: evil@e.co"]}}"#).contains("addresses[1] is not an email address"))
        #expect(refusal(#"{"email":{"addresses":["<a@b.co>"]}}"#).contains("addresses[0]"))
        let many = (0..<101).map { "\"u\($0)@b.co\"" }.joined(separator: ",")
        #expect(refusal(#"{"email":{"addresses":[\#(many)]}}"#).contains("the most is 100"))
    }

    @Test("an update merges into what is kept; an empty password removes it; the kind never changes")
    func updates() throws {
        let kept = DestinationConfig.webhook(url: "https://h.example", username: "u", password: "p", signingSecret: "s")
        #expect(try decode(#"{"generic_webhook":{"password":"q"}}"#, existing: kept)
                == .webhook(url: "https://h.example", username: "u", password: "q", signingSecret: "s"))
        #expect(try decode(#"{"generic_webhook":{"signing_secret":""}}"#, existing: kept)
                == .webhook(url: "https://h.example", username: "u", password: "p", signingSecret: nil))
        #expect(refusal(#"{"generic_webhook":{"password":""}}"#, existing: kept).contains("needs both"))
        #expect(refusal(#"{"email":{"addresses":["a@b.co"]}}"#, existing: kept).contains("its kind cannot change"))
        #expect(try decode(#"{"slack":{}}"#, existing: .slack(url: "https://old.example")) == .slack(url: "https://old.example"))
        // A new URL does not take the old secrets to a new host unless they are sent again (or dropped).
        #expect(refusal(#"{"generic_webhook":{"url":"https://evil.example"}}"#, existing: kept).contains("a new URL needs its password and signing_secret sent again"))
        #expect(try decode(#"{"generic_webhook":{"url":"https://new.example","password":"p2","signing_secret":""}}"#, existing: kept)
                == .webhook(url: "https://new.example", username: "u", password: "p2", signingSecret: nil))
        #expect(try decode(#"{"generic_webhook":{"url":"https://h.example"}}"#, existing: kept) == kept, "the same URL keeps them")
    }

    @Test("answers say whether each secret is set, never what it is; the stored form round-trips")
    func publicAndStored() throws {
        let config = DestinationConfig.webhook(url: "https://h.example/TOKEN", username: "user", password: "PASSWORD", signingSecret: "SIGNING")
        let shown = JSONWriter.text(of: config.publicJSON)
        #expect(shown == #"{"generic_webhook":{"url_set":true,"username_set":true,"password_set":true,"signing_secret_set":true}}"#)
        #expect(try DestinationConfig.decode(config.storedJSON) == config)
        #expect(JSONWriter.text(of: DestinationConfig.slack(url: "https://hooks.slack.com/services/SECRET").publicJSON).contains("SECRET") == false)
        #expect(JSONWriter.text(of: DestinationConfig.email(addresses: ["a@b.co"]).publicJSON) == #"{"email":{"addresses":["a@b.co"]}}"#)
    }

    @Test("email addresses: what RCPT TO and To: can carry")
    func emailAddresses() {
        for good in ["a@b.co", "first.last+tag@sub.example.org", "x_y@host-name.io"] { #expect(EmailAddress.isValid(good), "\(good)") }
        for bad in ["", "a", "a@", "@b.co", "a@b", "a b@c.co", "a@b.co\r\n", "a@b..co.", "a<b>@c.co", "a@b,c.co", "a@@b.co", "a@.b.co"] {
            #expect(!EmailAddress.isValid(bad), "\(bad)")
        }
    }
}
