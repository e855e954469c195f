import Foundation
import VigilCore
import VigilStore

/// One `forwarding:` entry: where events go, which ones, and what the receiver needs.
public struct ForwardConfiguration: Sendable, Equatable {
    /// Names the destination in metrics, logs and its cursor (`[A-Za-z0-9_-]`, at most 64).
    public var name: String
    public var url: String
    public var filter = ForwardFilter()
    /// How often the log is read for new events when the receiver is keeping up.
    public var intervalMillis: Int64 = 1000
    /// Most events per send.
    public var batchEvents: Int = 500
    /// Syslog: the HOSTNAME field (default this host's name); TLS: a PEM CA file to trust instead of the system's.
    public var hostname: String?
    public var caCertificatePath: String?
    /// Splunk HEC: the token (`Authorization: Splunk <token>`), sourcetype and index.
    public var token: String?
    public var sourcetype: String = "databricks:audit"
    public var index: String?
    /// Webhook: the HMAC-SHA256 key of `X-Vigil-Signature`.
    public var signingSecret: String?
    /// CloudWatch Logs: region, a custom endpoint (moto), credentials.
    public var region: String = "us-east-1"
    public var endpoint: String?
    public var credentials: SigV4.Credentials?

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// What the URL names; the error says what is wrong with it.
    public enum Kind: Sendable, Equatable {
        case syslog(transport: SyslogTransport, host: String, port: Int)
        case otlp(url: String)
        case splunk(url: String)
        case cloudWatchLogs(group: String, stream: String)
        case webhook(url: String)
    }

    public enum SyslogTransport: String, Sendable { case tcp, udp, tls }

    public static func kind(of url: String) throws -> Kind {
        func hostPort(_ rest: Substring, defaultPort: Int) throws -> (String, Int) {
            let authority = rest.prefix { $0 != "/" }
            guard let components = URLComponents(string: "x://\(authority)"), let host = components.host, !host.isEmpty else {
                throw VigilError(.invalidParameter, "\(url): want host:port")
            }
            return (host, components.port ?? defaultPort)
        }
        for transport in [SyslogTransport.tcp, .udp, .tls] where url.hasPrefix("syslog+\(transport.rawValue)://") {
            let (host, port) = try hostPort(url.dropFirst("syslog+\(transport.rawValue)://".count), defaultPort: transport == .tls ? 6514 : 514)
            return .syslog(transport: transport, host: host, port: port)
        }
        if url.hasPrefix("otlp+http://") || url.hasPrefix("otlp+https://") {
            let target = String(url.dropFirst("otlp+".count))
            return .otlp(url: target.hasSuffix("/v1/logs") ? target : (target.hasSuffix("/") ? target.dropLast() + "/v1/logs" : target + "/v1/logs"))
        }
        if url.hasPrefix("splunk-hec+http://") || url.hasPrefix("splunk-hec+https://") {
            var target = String(url.dropFirst("splunk-hec+".count))
            if !target.contains("/services/collector") { target = (target.hasSuffix("/") ? String(target.dropLast()) : target) + "/services/collector/event" }
            return .splunk(url: target)
        }
        if url.hasPrefix("cloudwatch-logs://") {
            let path = url.dropFirst("cloudwatch-logs://".count)
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else {
                throw VigilError(.invalidParameter, "\(url): want cloudwatch-logs://<log group>/<log stream>")
            }
            let group = String(path[..<slash]), stream = String(path[path.index(after: slash)...])
            guard !stream.isEmpty, !stream.contains(":"), !stream.contains("*"), (1...512).contains(group.count),
                  group.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/#".contains($0)) }) else {
                throw VigilError(.invalidParameter, "\(url): the log group is [A-Za-z0-9._-/#]{1,512} and the stream has no : or *")
            }
            return .cloudWatchLogs(group: group, stream: stream)
        }
        if url.hasPrefix("https://") || url.hasPrefix("http://") {
            guard URLComponents(string: url)?.host?.isEmpty == false else { throw VigilError(.invalidParameter, "\(url): not a URL with a host") }
            return .webhook(url: url)
        }
        throw VigilError(.invalidParameter, "\(url): want syslog+tcp://, syslog+udp://, syslog+tls://, otlp+http(s)://, splunk-hec+http(s)://, cloudwatch-logs:// or http(s):// (a webhook)")
    }
}

/// Which events a destination gets: each list, when given, must contain the event's value (an event without a
/// workspace matches `"0"`). Pure.
public struct ForwardFilter: Sendable, Equatable {
    public var serviceNames: Set<String> = []
    public var actionNames: Set<String> = []
    public var workspaceIDs: Set<String> = []

    public init(serviceNames: Set<String> = [], actionNames: Set<String> = [], workspaceIDs: Set<String> = []) {
        self.serviceNames = serviceNames
        self.actionNames = actionNames
        self.workspaceIDs = workspaceIDs
    }

    public func matches(_ event: AuditEvent) -> Bool {
        (serviceNames.isEmpty || serviceNames.contains(event.serviceName))
            && (actionNames.isEmpty || actionNames.contains(event.actionName))
            && (workspaceIDs.isEmpty || workspaceIDs.contains(event.workspaceID ?? "0"))
    }
}

/// Sends a batch of events to one receiver; throws when the receiver did not take all of them (the batch is sent
/// again: at least once).
public protocol Forwarder: Sendable {
    func send(_ events: [StoredEvent]) async throws
}


extension ForwardConfiguration {
    /// The sender this entry names; the error says what is missing.
    public func forwarder(clock: any WallClock = SystemWallClock()) throws -> any Forwarder {
        switch try Self.kind(of: url) {
        case .syslog(let transport, let host, let port):
            return try SyslogForwarder(transport: transport, host: host, port: port, hostname: hostname, caCertificatePath: caCertificatePath)
        case .otlp(let target):
            return OTLPForwarder(url: target)
        case .splunk(let target):
            guard let token else { throw VigilError(.invalidParameter, "\(name): a Splunk HEC destination needs token") }
            return SplunkHECForwarder(url: target, token: token, sourcetype: sourcetype, index: index, hostname: hostname)
        case .cloudWatchLogs(let group, let stream):
            guard let credentials else { throw VigilError(.invalidParameter, "\(name): a CloudWatch Logs destination needs credentials") }
            return CloudWatchLogsForwarder(group: group, stream: stream, region: region, endpoint: endpoint, credentials: credentials)
        case .webhook(let target):
            return WebhookForwarder(url: target, signingSecret: signingSecret, clock: clock)
        }
    }
}
