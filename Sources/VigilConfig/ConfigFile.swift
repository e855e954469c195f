import Foundation
import VigilCore
import Yams

/// One `delivery:` entry: where the audit log goes and how often (checked here; `VigilExport` runs it).
public struct DeliverySection: Sendable, Equatable {
    /// Names the destination in metrics, logs and its cursor: `[A-Za-z0-9_-]`, 1 to 64 characters.
    public var name: String
    /// `file:///absolute/path` (S3 is not built yet).
    public var url: String
    public var intervalMillis: Int64 = 60_000
    public var digestIntervalMillis: Int64 = 3_600_000
    /// Most events per batch (and so per file).
    public var batchEvents: Int = 20_000
    /// `s3://` only: a custom endpoint (moto, MinIO), the region, `path` or `virtual` addressing, the credentials
    /// (default: the AWS_* environment variables) and the multipart part size.
    public var endpoint: String?
    public var region: String?
    public var addressing: String?
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?
    public var partSizeBytes: Int?

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    public static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// What is wrong with a delivery URL, or nil.
    public static func problem(url: String) -> String? {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count)).removingPercentEncoding ?? ""
            return path.hasPrefix("/") && path.count > 1 ? nil : "a file URL needs an absolute path, as file:///var/lib/vigil-lake"
        }
        if url.hasPrefix("s3://") {
            let bucket = url.dropFirst("s3://".count).prefix { $0 != "/" }
            guard (3...63).contains(bucket.count),
                  bucket.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }) else {
                return "the bucket name must be 3 to 63 characters from a-z, 0-9, . and -"
            }
            return nil
        }
        return "want file:///path or s3://bucket/prefix"
    }
}

/// `vigil serve --config vigil.yaml`: what the file sets, checked whole before the server starts. Every problem
/// is reported with the file's path, the line and the key (`vigil.yaml:4: delivery[0].interval: …`), and one
/// problem refuses the start. `${NAME}` in a value is replaced by the environment variable NAME (for secrets,
/// which then never sit in the file); an unset one is a problem, and values are never echoed in messages.
///
/// The file holds `delivery:`, `forwarding:`, `metrics:`, `sources:` (the syslog receiver; the Kubernetes source is an
/// API endpoint and needs no configuration) and `notifications:`. Flags and `VIGIL_*` variables set everything else,
/// and where both set a value (the syslog listen addresses, the notification defaults) the flag or variable wins.
public struct ConfigFile: Sendable, Equatable {
    public var deliveries: [DeliverySection] = []
    public var forwards: [ForwardSection] = []
    /// `sources: syslog: listen: [udp://0.0.0.0:5514, tcp://0.0.0.0:5514]`
    public var syslogListens: [String] = []
    /// `sources: syslog: allow: [10.0.0.0/8, 192.0.2.7]`: the senders the syslog source takes; empty: any.
    public var syslogAllow: [String] = []
    /// `metrics:`: CloudWatch metrics destinations for Vigil's own figures.
    public var metrics: [MetricsSection] = []
    /// `notifications:`: defaults for alert notifications (the `--notify-*` and `--smtp-*` flags win).
    public var notifications = NotificationsSection()

    public init(deliveries: [DeliverySection] = [], forwards: [ForwardSection] = [], syslogListens: [String] = []) {
        self.deliveries = deliveries
        self.forwards = forwards
        self.syslogListens = syslogListens
    }

    public struct Failure: Error, CustomStringConvertible {
        public var problems: [String]
        public var description: String { problems.joined(separator: "\n") }
    }

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Failure) -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Failure(problems: ["\(path): cannot read the file (or it is not UTF-8)"])
        }
        return try parse(text, path: path, environment: environment)
    }

    public static func parse(_ text: String, path: String, environment: [String: String]) throws(Failure) -> ConfigFile {
        var reader = ConfigReader(path: path, environment: environment)
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                throw Failure(problems: ["\(path):\(mark.line): not valid YAML: \(problem) at column \(mark.column)"])
            case .duplicatedKeysInMapping(let duplicates, let context):
                throw Failure(problems: ["\(path):\(context.mark.line): \(duplicates.sorted().joined(separator: ", ")) appears twice in one mapping"])
            default:
                throw Failure(problems: ["\(path): not valid YAML: \(error)"])
            }
        } catch {
            throw Failure(problems: ["\(path): not valid YAML: \(error)"])
        }
        var file = ConfigFile()
        if let node {
            for (key, value) in reader.members(node, "") {
                switch key {
                case "delivery": file.deliveries = reader.deliveries(value)
                case "forwarding": file.forwards = reader.forwards(value)
                case "sources": (file.syslogListens, file.syslogAllow) = reader.sources(value)
                case "metrics": file.metrics = reader.metrics(value)
                case "notifications": file.notifications = reader.notifications(value)
                default:
                    reader.fail(value, key, "is not a known section (want delivery, forwarding, sources, metrics or notifications)")
                }
            }
        }
        if !reader.problems.isEmpty { throw Failure(problems: reader.problems) }
        return file
    }

    /// `60s`, `5m`, `1h`, `500ms`, `1d`, or a bare number of seconds, in milliseconds; nil when not one of those.
    public static func durationMillis(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard let value = Int64(number), value >= 0, value <= Int64.max / scale else { return nil }
            return value * scale
        }
        guard let seconds = Int64(text), seconds >= 0, seconds <= Int64.max / 1000 else { return nil }
        return seconds * 1000
    }
}

/// One `forwarding:` entry: where events go, which ones, and what the receiver needs (`VigilExport` runs it).
public struct ForwardSection: Sendable, Equatable {
    public var name: String
    public var url: String
    /// `filter: {service_name: [...], action_name: [...], workspace_id: [...]}`
    public var serviceNames: [String] = []
    public var actionNames: [String] = []
    public var workspaceIDs: [String] = []
    public var intervalMillis: Int64 = 1000
    public var batchEvents: Int = 500
    public var hostname: String?
    public var caCertificatePath: String?
    public var token: String?
    public var sourcetype: String?
    public var index: String?
    public var signingSecret: String?
    public var region: String?
    public var endpoint: String?
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    static let schemes = ["syslog+tcp://", "syslog+udp://", "syslog+tls://", "otlp+http://", "otlp+https://", "splunk-hec+http://",
                          "splunk-hec+https://", "cloudwatch-logs://", "https://", "http://"]
}

/// Walks the YAML tree, collecting every problem with its line.
struct ConfigReader {
    let path: String
    let environment: [String: String]
    var problems: [String] = []

    mutating func fail(_ node: Node?, _ key: String, _ message: String) {
        let line = node?.mark.map { ":\($0.line)" } ?? ""
        problems.append("\(path)\(line): \(key): \(message)")
    }

    mutating func members(_ node: Node, _ key: String) -> [(String, Node)] {
        guard case .mapping(let mapping) = node else {
            fail(node, key.isEmpty ? "(top level)" : key, "must be a mapping of keys to values")
            return []
        }
        var result: [(String, Node)] = []
        for (name, value) in mapping {
            guard let text = name.scalar?.string else {
                fail(name, key, "keys must be plain text")
                continue
            }
            result.append((text, value))
        }
        return result
    }

    /// A scalar's text with `${NAME}` replaced from the environment.
    mutating func string(_ node: Node, _ key: String) -> String? {
        guard let raw = node.scalar?.string else {
            fail(node, key, "must be a single value")
            return nil
        }
        var out = ""
        var rest = Substring(raw)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                fail(node, key, "has ${ without a closing }")
                return nil
            }
            let name = String(rest[start.upperBound..<end])
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                fail(node, key, "${\(name)} is not an environment variable name")
                return nil
            }
            guard let value = environment[name] else {
                fail(node, key, "names the environment variable \(name), which is not set")
                return nil
            }
            out += value
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }

    mutating func duration(_ node: Node, _ key: String) -> Int64? {
        guard let text = string(node, key) else { return nil }
        guard let millis = ConfigFile.durationMillis(text), millis > 0 else {
            fail(node, key, "want a positive duration such as 500ms, 60s, 5m or 1h")
            return nil
        }
        return millis
    }

    mutating func deliveries(_ node: Node) -> [DeliverySection] {
        guard case .sequence(let items) = node else {
            fail(node, "delivery", "must be a list of destinations (- name: …, url: …)")
            return []
        }
        var result: [DeliverySection] = []
        var names = Set<String>()
        for (index, item) in items.enumerated() {
            let prefix = "delivery[\(index)]"
            var name: String?
            var url: String?
            var interval: Int64?
            var digestInterval: Int64?
            var batchEvents: Int?
            var sawURL = false
            var s3 = DeliverySection(name: "", url: "")
            for (key, value) in members(item, prefix) {
                switch key {
                case "name": name = string(value, "\(prefix).name")
                case "url":
                    sawURL = true
                    url = string(value, "\(prefix).url")
                    if let given = url, let problem = DeliverySection.problem(url: given) {
                        fail(value, "\(prefix).url", problem)
                        url = nil
                    }
                case "interval": interval = duration(value, "\(prefix).interval")
                case "digest_interval": digestInterval = duration(value, "\(prefix).digest_interval")
                case "batch_events":
                    if let text = string(value, "\(prefix).batch_events") {
                        if let count = Int(text), (1...1_000_000).contains(count) { batchEvents = count } else {
                            fail(value, "\(prefix).batch_events", "want a whole number from 1 to 1000000")
                        }
                    }
                case "endpoint": s3.endpoint = endpoint(value, "\(prefix).endpoint")
                case "region": s3.region = string(value, "\(prefix).region")
                case "addressing":
                    s3.addressing = string(value, "\(prefix).addressing")
                    if let text = s3.addressing, text != "path", text != "virtual" { fail(value, "\(prefix).addressing", "want path or virtual") }
                case "access_key_id": s3.accessKeyID = string(value, "\(prefix).access_key_id")
                case "secret_access_key": s3.secretAccessKey = string(value, "\(prefix).secret_access_key")
                case "session_token": s3.sessionToken = string(value, "\(prefix).session_token")
                case "part_size_mb":
                    if let text = string(value, "\(prefix).part_size_mb") {
                        if let megabytes = Int(text), (5...5120).contains(megabytes) { s3.partSizeBytes = megabytes << 20 } else {
                            fail(value, "\(prefix).part_size_mb", "want a whole number of MiB from 5 to 5120")
                        }
                    }
                default:
                    fail(value, "\(prefix).\(key)", "is not a delivery key (want name, url, interval, digest_interval, batch_events, and for s3:// endpoint, region, addressing, access_key_id, secret_access_key, session_token, part_size_mb)")
                }
            }
            guard entryName(item, prefix, name, &names), let name else { continue }
            guard let url else {
                if !sawURL { fail(item, "\(prefix).url", "is required") }
                continue
            }
            var entry = s3
            entry.name = name
            entry.url = url
            if url.hasPrefix("s3://") {
                awsDefaults(&entry.accessKeyID, &entry.secretAccessKey, &entry.sessionToken, &entry.region)
                if entry.accessKeyID == nil || entry.secretAccessKey == nil {
                    fail(item, "\(prefix).access_key_id", "an s3:// delivery needs access_key_id and secret_access_key (as ${NAME}), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")
                    continue
                }
            } else if entry.endpoint != nil || entry.accessKeyID != nil || entry.secretAccessKey != nil || entry.region != nil || entry.addressing != nil {
                fail(item, "\(prefix).url", "endpoint, region, addressing and credentials apply to s3:// URLs only")
                continue
            }
            if let interval { entry.intervalMillis = interval }
            if let digestInterval { entry.digestIntervalMillis = digestInterval }
            if let batchEvents { entry.batchEvents = batchEvents }
            result.append(entry)
        }
        return result
    }

    mutating func list(_ node: Node, _ key: String) -> [String]? {
        if case .sequence(let items) = node { return items.compactMap { string($0, key) } }
        return string(node, key).map { [$0] }
    }

    /// A list entry's `name:`: given, well-formed and not used by an earlier entry of the list (each refusal named).
    mutating func entryName(_ item: Node, _ prefix: String, _ name: String?, _ names: inout Set<String>) -> Bool {
        guard let name else {
            fail(item, "\(prefix).name", "is required")
            return false
        }
        guard DeliverySection.validName(name) else {
            fail(item, "\(prefix).name", "want 1 to 64 characters from A-Z, a-z, 0-9, - and _")
            return false
        }
        guard names.insert(name).inserted else {
            fail(item, "\(prefix).name", "\(name) is used by an earlier entry; names must be unique")
            return false
        }
        return true
    }

    /// An `endpoint:` value: an http:// or https:// URL with a host; nil (and a problem) otherwise.
    mutating func endpoint(_ node: Node, _ field: String) -> String? {
        guard let text = string(node, field) else { return nil }
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), URLComponents(string: text)?.host != nil else {
            fail(node, field, "want an http:// or https:// URL with a host")
            return nil
        }
        return text
    }

    /// AWS credentials and region from the `AWS_*` variables where the entry gives none, as the AWS SDKs take them.
    func awsDefaults(_ accessKeyID: inout String?, _ secretAccessKey: inout String?, _ sessionToken: inout String?, _ region: inout String?) {
        accessKeyID = accessKeyID ?? environment["AWS_ACCESS_KEY_ID"]
        secretAccessKey = secretAccessKey ?? environment["AWS_SECRET_ACCESS_KEY"]
        sessionToken = sessionToken ?? environment["AWS_SESSION_TOKEN"]
        region = region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"]
    }

    mutating func forwards(_ node: Node) -> [ForwardSection] {
        guard case .sequence(let items) = node else {
            fail(node, "forwarding", "must be a list of destinations (- name: …, url: …)")
            return []
        }
        var result: [ForwardSection] = []
        var names = Set<String>()
        for (index, item) in items.enumerated() {
            let prefix = "forwarding[\(index)]"
            var entry = ForwardSection(name: "", url: "")
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
                    if !entry.url.isEmpty, !ForwardSection.schemes.contains(where: { entry.url.hasPrefix($0) }) {
                        fail(value, field, "want syslog+tcp://, syslog+udp://, syslog+tls://, otlp+http(s)://, splunk-hec+http(s)://, cloudwatch-logs://group/stream or http(s):// (a webhook)")
                        valid = false
                    }
                case "filter":
                    for (filterKey, filterValue) in members(value, field) {
                        let values = list(filterValue, "\(field).\(filterKey)") ?? []
                        switch filterKey {
                        case "service_name": entry.serviceNames = values
                        case "action_name": entry.actionNames = values
                        case "workspace_id": entry.workspaceIDs = values
                        default:
                            fail(filterValue, "\(field).\(filterKey)", "is not a filter (want service_name, action_name, workspace_id)")
                            valid = false
                        }
                    }
                case "interval":
                    if let millis = duration(value, field) { entry.intervalMillis = millis } else { valid = false }
                case "batch_events":
                    if let text = string(value, field), let count = Int(text), (1...10_000).contains(count) { entry.batchEvents = count } else {
                        fail(value, field, "want a whole number from 1 to 10000")
                        valid = false
                    }
                case "hostname": entry.hostname = string(value, field)
                case "ca_cert":
                    entry.caCertificatePath = string(value, field)
                    if let path = entry.caCertificatePath, !FileManager.default.isReadableFile(atPath: path) {
                        fail(value, field, "\(path) is not a readable file")
                        valid = false
                    }
                case "token": entry.token = string(value, field)
                case "sourcetype": entry.sourcetype = string(value, field)
                case "index": entry.index = string(value, field)
                case "signing_secret": entry.signingSecret = string(value, field)
                case "region": entry.region = string(value, field)
                case "endpoint":
                    entry.endpoint = endpoint(value, field)
                    if entry.endpoint == nil { valid = false }
                case "access_key_id": entry.accessKeyID = string(value, field)
                case "secret_access_key": entry.secretAccessKey = string(value, field)
                case "session_token": entry.sessionToken = string(value, field)
                default:
                    fail(value, field, "is not a forwarding key (want name, url, filter, interval, batch_events, hostname, ca_cert, token, sourcetype, index, signing_secret, region, endpoint, access_key_id, secret_access_key, session_token)")
                    valid = false
                }
            }
            if entryName(item, prefix, name, &names), let name { entry.name = name } else { valid = false }
            if !sawURL { fail(item, "\(prefix).url", "is required"); valid = false }
            if entry.url.hasPrefix("splunk-hec+"), entry.token == nil {
                fail(item, "\(prefix).token", "a Splunk HEC destination needs token (as ${NAME})")
                valid = false
            }
            if entry.url.hasPrefix("cloudwatch-logs://") {
                awsDefaults(&entry.accessKeyID, &entry.secretAccessKey, &entry.sessionToken, &entry.region)
                if entry.accessKeyID == nil || entry.secretAccessKey == nil {
                    fail(item, "\(prefix).access_key_id", "a CloudWatch Logs destination needs access_key_id and secret_access_key (as ${NAME}), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")
                    valid = false
                }
            }
            if valid { result.append(entry) }
        }
        return result
    }

    /// `sources: {syslog: {listen: [...], allow: [...]}}`; the Kubernetes source needs no entry (it is an endpoint).
    mutating func sources(_ node: Node) -> (listens: [String], allow: [String]) {
        var listens: [String] = []
        var allow: [String] = []
        for (key, value) in members(node, "sources") {
            guard key == "syslog" else {
                fail(value, "sources.\(key)", "is not a source (want syslog; Kubernetes posts to /api/2.0/vigil/sources/kubernetes)")
                continue
            }
            for (inner, listValue) in members(value, "sources.syslog") {
                if inner == "allow" {
                    for network in list(listValue, "sources.syslog.allow") ?? [] {
                        if CIDR.entry(network) == nil {
                            fail(listValue, "sources.syslog.allow", "\(network): want a network such as 10.0.0.0/8 or an address such as 192.0.2.7")
                        } else {
                            allow.append(network)
                        }
                    }
                    continue
                }
                guard inner == "listen" else {
                    fail(listValue, "sources.syslog.\(inner)", "is not a syslog key (want listen or allow)")
                    continue
                }
                for address in list(listValue, "sources.syslog.listen") ?? [] {
                    let valid = (address.hasPrefix("udp://") || address.hasPrefix("tcp://"))
                        && address.split(separator: ":").last.flatMap { Int($0) }.map { (0...65535).contains($0) } == true
                    if valid { listens.append(address) } else {
                        fail(listValue, "sources.syslog.listen", "\(address): want udp://host:port or tcp://host:port")
                    }
                }
            }
        }
        return (listens, allow)
    }
}
