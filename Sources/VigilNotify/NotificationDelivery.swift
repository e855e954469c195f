import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore

/// How one attempt ended.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// Worth another attempt (a 5xx, a 429, a timeout, a refused connection), no sooner than `retryAfterMillis`.
    case retry(String, retryAfterMillis: Int64?)
    /// Never worth repeating (a 4xx other than 408 and 429, a rejected address).
    case permanent(String)
}

/// Sends one notice to one destination, in that destination's shape.
public struct NotificationDelivery: Sendable {
    public let smtp: SMTPSettings?
    /// The server's external base URL (the webhook payload's `externalURL`).
    public let externalURL: @Sendable () -> String
    public let timeout: Duration
    /// How a group's message names its group (`groupKey`, `groupLabels`).
    public let grouping: NotificationGrouping

    public init(smtp: SMTPSettings?, externalURL: @escaping @Sendable () -> String, timeout: Duration = .seconds(10),
                grouping: NotificationGrouping = .init()) {
        self.smtp = smtp
        self.externalURL = externalURL
        self.timeout = timeout
        self.grouping = grouping
    }

    /// A client for the notifier's lifetime: no redirects followed (a receiver cannot send Vigil's signed payload
    /// and credentials elsewhere), and its own connection pool, so the backoff it keeps for a host that was down is
    /// the notifier's alone and ends with it.
    public static func makeClient() -> HTTPClient {
        HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(5), read: .seconds(10))))
    }

    /// Sends one message carrying `notices` (one group's, at least one); `deliveryID` is the first one's outbox id.
    public func send(_ notices: [AlertNotice], to destination: Destination, deliveryID: Int64, now: Int64, client: HTTPClient) async -> DeliveryOutcome {
        switch destination.config {
        case .webhook(let url, let username, let password, let secret):
            let body = NoticeRendering.webhook(notices, grouping: grouping, receiver: destination.displayName, externalURL: externalURL())
            var headers = [("X-Vigil-Delivery", String(deliveryID))]
            if let username, let password {
                headers.append(("Authorization", "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()))
            }
            if let secret {
                let timestamp = String(now / 1000)
                headers.append(("X-Vigil-Timestamp", timestamp))
                headers.append(("X-Vigil-Signature", "sha256=" + Self.signature(secret: secret, timestamp: timestamp, body: body)))
            }
            return await post(url, body: body, headers: headers, slack: false, client: client)
        case .slack(let url):
            return await post(url, body: NoticeRendering.slack(notices), headers: [], slack: true, client: client)
        case .alertmanager(let url):
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            return await post(base + "/api/v2/alerts", body: NoticeRendering.alertmanager(notices), headers: [], slack: false, client: client)
        case .email(let addresses):
            guard let smtp else { return .permanent("no SMTP relay is configured (vigil serve --smtp-server host:port --smtp-from address)") }
            let (subject, text) = NoticeRendering.email(notices)
            do {
                try await SMTPClient.send(smtp, to: addresses, subject: subject, body: text,
                                          headers: [("X-Vigil-Alert-Id", notices.map { String($0.alertID) }.joined(separator: ", ")),
                                                    ("X-Vigil-Delivery", String(deliveryID))])
                return .delivered
            } catch let failure as SMTPFailure {
                return failure.permanent ? .permanent(failure.description) : .retry(failure.description, retryAfterMillis: nil)
            } catch {
                return .retry("SMTP: \(error)", retryAfterMillis: nil)
            }
        }
    }

    /// `X-Vigil-Signature`: hex HMAC-SHA256 with the destination's signing secret over `<timestamp>.<body>`, so a
    /// receiver can check both who sent it and that it is fresh.
    public static func signature(secret: String, timestamp: String, body: [UInt8]) -> String {
        WebhookSignature.hex(secret: secret, timestamp: timestamp, body: body)
    }

    func post(_ url: String, body: [UInt8], headers: [(String, String)], slack: Bool, client: HTTPClient) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Vigil")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout / .milliseconds(1))))
            let status = Int(response.status.code)
            // The status decides; the body is only a hint for the error (a large one is cut, never an error itself).
            var text = ""
            for try await chunk in response.body {
                if text.utf8.count < 300 { text += String(buffer: chunk) }
            }
            text = String(text.prefix(300))
            // Slack answers 200 "ok"; anything else from it is a refusal, whatever the status.
            if (200..<300).contains(status), !slack || status == 200 { return .delivered }
            let message = "HTTP \(status)\(text.isEmpty ? "" : ": \(text)")"
            if status == 408 || status == 429 || status >= 500 {
                // Seconds, capped at a day (a huge value must not overflow into a crash).
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(Int64.init).map { min(max($0, 0), 86_400) * 1000 }
                return .retry(message, retryAfterMillis: retryAfter)
            }
            return .permanent(message)
        } catch {
            // Connection errors name the host and port, never the path (a Slack URL's path is its secret).
            return .retry("\(type(of: error)): \(Self.describe(error))", retryAfterMillis: nil)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError { return "\(client)" }
        return "\(error)".prefix(300).description
    }
}
