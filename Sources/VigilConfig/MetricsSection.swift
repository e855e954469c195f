import Foundation
import VigilCore
import Yams

/// One `metrics:` entry: Vigil's own figures published to CloudWatch metrics (`VigilExport` runs it).
///
/// ```yaml
/// metrics:
///   - name: cloudwatch
///     url: cloudwatch-metrics://Vigil        # the namespace
///     interval: 60s
///     include: [vigil_ingest_events_accepted_total, vigil_forward_lag_seconds]
///     region: us-east-1                       # endpoint, access_key_id, secret_access_key, session_token as for S3
/// ```
public struct MetricsSection: Sendable, Equatable {
    public var name: String
    public var url: String
    public var intervalMillis: Int64 = 60_000
    /// The series to publish; nil: the publisher's default set.
    public var include: [String]?
    public var region: String?
    public var endpoint: String?
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    public static let scheme = "cloudwatch-metrics://"

    /// The namespace the URL names.
    public var namespace: String { String(url.dropFirst(Self.scheme.count)) }

    /// What is wrong with a metrics URL, or nil. CloudWatch namespaces are 1 to 255 printable ASCII characters
    /// without `:`, and `AWS/` is AWS's own.
    public static func problem(url: String) -> String? {
        guard url.hasPrefix(scheme) else { return "want cloudwatch-metrics://NAMESPACE (the only metrics destination so far)" }
        let namespace = url.dropFirst(scheme.count)
        guard (1...255).contains(namespace.count), namespace.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) && $0 != ":" }) else {
            return "the namespace must be 1 to 255 printable ASCII characters without ':'"
        }
        if namespace.hasPrefix("AWS/") { return "namespaces starting AWS/ are AWS's own" }
        return nil
    }
}

extension ConfigReader {
    mutating func metrics(_ node: Node) -> [MetricsSection] {
        guard case .sequence(let items) = node else {
            fail(node, "metrics", "must be a list of destinations (- name: …, url: cloudwatch-metrics://NAMESPACE)")
            return []
        }
        var result: [MetricsSection] = []
        var names = Set<String>()
        for (index, item) in items.enumerated() {
            let prefix = "metrics[\(index)]"
            var entry = MetricsSection(name: "", url: "")
            var name: String?
            var sawURL = false, valid = true
            for (key, value) in members(item, prefix) {
                let field = "\(prefix).\(key)"
                switch key {
                case "name":
                    name = string(value, field)
                case "url":
                    sawURL = true
                    entry.url = string(value, field) ?? ""
                    if let problem = MetricsSection.problem(url: entry.url) {
                        fail(value, field, problem)
                        valid = false
                    }
                case "interval":
                    guard let millis = duration(value, field) else {
                        valid = false
                        break
                    }
                    if millis < 1000 {
                        fail(value, field, "want at least 1s (CloudWatch's finest resolution)")
                        valid = false
                    } else {
                        entry.intervalMillis = millis
                    }
                case "include":
                    let names = list(value, field) ?? []
                    if names.isEmpty || names.contains(where: { !MetricName.isValid($0) }) {
                        fail(value, field, "want a list of Vigil's metric names, as GET /metrics shows them (vigil_ingest_events_accepted_total)")
                        valid = false
                    } else {
                        entry.include = names
                    }
                case "region": entry.region = string(value, field)
                case "endpoint":
                    entry.endpoint = endpoint(value, field)
                    if entry.endpoint == nil { valid = false }
                case "access_key_id": entry.accessKeyID = string(value, field)
                case "secret_access_key": entry.secretAccessKey = string(value, field)
                case "session_token": entry.sessionToken = string(value, field)
                default:
                    fail(value, field, "is not a metrics key (want name, url, interval, include, region, endpoint, access_key_id, secret_access_key, session_token)")
                    valid = false
                }
            }
            if entryName(item, prefix, name, &names), let name { entry.name = name } else { valid = false }
            if !sawURL { fail(item, "\(prefix).url", "is required"); valid = false }
            awsDefaults(&entry.accessKeyID, &entry.secretAccessKey, &entry.sessionToken, &entry.region)
            if valid, entry.accessKeyID == nil || entry.secretAccessKey == nil {
                fail(item, "\(prefix).access_key_id", "a CloudWatch metrics destination needs access_key_id and secret_access_key (as ${NAME}), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")
                valid = false
            }
            if valid { result.append(entry) }
        }
        return result
    }

}
