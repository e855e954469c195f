/// What a client sends as a cluster (`POST /api/2.1/clusters/create` and `/edit`, reference databricks.md §4.4 and
/// the Clusters API): the minimal Databricks ClusterSpec Vigil acts on, plus the other ClusterSpec fields kept as
/// given and answered back (`spark_conf`, `aws_attributes`, ...), so a spec read with `get` can be sent again.
/// Any other member is refused by name.
public struct ClusterSpec: Sendable, Equatable {
    public var clusterName: String
    public var sparkVersion: String?
    public var nodeTypeID: String?
    public var driverNodeTypeID: String?
    /// Fixed size: the number of workers. Exactly one of `numWorkers` and `autoscale` is set (`num_workers: 0` is a
    /// single-node cluster).
    public var numWorkers: Int?
    public var autoscale: Autoscale?
    public var customTags: [(key: String, value: String)]
    /// 0 or absent: never terminated for inactivity. Kept and answered; Vigil runs no compute, so nothing is stopped.
    public var autoterminationMinutes: Int?
    /// Other ClusterSpec fields, as given and in the order given.
    public var settings: [JSONMember]

    public struct Autoscale: Sendable, Equatable {
        public var minWorkers: Int
        public var maxWorkers: Int

        public init(minWorkers: Int, maxWorkers: Int) {
            self.minWorkers = minWorkers
            self.maxWorkers = maxWorkers
        }
    }

    public init(clusterName: String, numWorkers: Int? = 0, autoscale: Autoscale? = nil) {
        self.clusterName = clusterName
        self.numWorkers = autoscale == nil ? numWorkers : nil
        self.autoscale = autoscale
        self.customTags = []
        self.settings = []
    }

    public static func == (lhs: ClusterSpec, rhs: ClusterSpec) -> Bool {
        lhs.clusterName == rhs.clusterName && lhs.sparkVersion == rhs.sparkVersion && lhs.nodeTypeID == rhs.nodeTypeID
            && lhs.driverNodeTypeID == rhs.driverNodeTypeID && lhs.numWorkers == rhs.numWorkers && lhs.autoscale == rhs.autoscale
            && lhs.customTags.map(\.key) == rhs.customTags.map(\.key) && lhs.customTags.map(\.value) == rhs.customTags.map(\.value)
            && lhs.autoterminationMinutes == rhs.autoterminationMinutes && lhs.settings == rhs.settings
    }

    /// The number of workers the cluster is meant to have: `num_workers`, or `autoscale.min_workers`.
    public var targetWorkers: Int { numWorkers ?? autoscale?.minWorkers ?? 0 }

    public static let maxNameLength = 100
    public static let maxWorkers = 100_000
    public static let maxTags = 45
    /// Databricks allows 10–10000 minutes, and 0 to turn automatic termination off.
    public static let autoterminationRange = 10...10_000

    /// ClusterSpec fields Vigil keeps and answers without acting on them.
    public static let settingFields: Set<String> = [
        "apply_policy_default_values", "aws_attributes", "azure_attributes", "cluster_log_conf", "data_security_mode",
        "docker_image", "driver_instance_pool_id", "enable_elastic_disk", "enable_local_disk_encryption", "gcp_attributes",
        "init_scripts", "instance_pool_id", "is_single_node", "kind", "policy_id", "runtime_engine", "single_user_name",
        "spark_conf", "spark_env_vars", "ssh_public_keys", "use_ml_runtime", "workload_type",
    ]

    /// Fields a client may send back from a `get` answer; ignored.
    public static let outputOnlyFields: Set<String> = [
        "cluster_cores", "cluster_id", "cluster_log_status", "cluster_memory_mb", "cluster_source", "creator_user_name",
        "default_tags", "driver", "executors", "jdbc_port", "last_restarted_time", "last_state_loss_time", "spark_context_id",
        "start_time", "state", "state_message", "terminated_time", "termination_reason", "spec",
    ]

    /// Reads a ClusterSpec object; `extraAllowed` are request fields the caller reads itself (`cluster_id` for
    /// edit). Every problem names its field.
    public static func parse(_ value: JSONValue, extraAllowed: Set<String> = []) throws -> ClusterSpec {
        guard case .object(let members) = value else {
            throw VigilError(.invalidParameter, "the request body must be a ClusterSpec object, got \(value.typeName)")
        }
        var spec = ClusterSpec(clusterName: "", numWorkers: nil)
        var sawName = false
        for member in members {
            switch member.key {
            case "cluster_name":
                guard case .string(let name) = member.value else {
                    throw VigilError(.invalidParameter, "cluster_name must be a string, got \(member.value.typeName)")
                }
                guard !name.isEmpty, name.count <= maxNameLength, !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                    throw VigilError(.invalidParameter, "cluster_name must be 1 to \(maxNameLength) characters without control characters")
                }
                spec.clusterName = name
                sawName = true
            case "spark_version": spec.sparkVersion = try optionalText(member, max: 128)
            case "node_type_id": spec.nodeTypeID = try optionalText(member, max: 128)
            case "driver_node_type_id": spec.driverNodeTypeID = try optionalText(member, max: 128)
            case "num_workers":
                if member.value != .null { spec.numWorkers = try integer(member.value, name: "num_workers", range: 0...maxWorkers) }
            case "autoscale":
                guard member.value != .null else { continue }
                guard case .object(let fields) = member.value else {
                    throw VigilError(.invalidParameter, "autoscale must be an object {min_workers, max_workers}, got \(member.value.typeName)")
                }
                if let unknown = fields.first(where: { !["min_workers", "max_workers"].contains($0.key) }) {
                    throw VigilError(.invalidParameter, "unknown field 'autoscale.\(unknown.key.prefix(64))'; autoscale has min_workers and max_workers")
                }
                guard let minimum = member.value["min_workers"], let maximum = member.value["max_workers"] else {
                    throw VigilError(.invalidParameter, "autoscale needs both min_workers and max_workers")
                }
                let low = try integer(minimum, name: "autoscale.min_workers", range: 0...maxWorkers)
                let high = try integer(maximum, name: "autoscale.max_workers", range: 1...maxWorkers)
                guard low <= high else {
                    throw VigilError(.invalidParameter, "autoscale.min_workers (\(low)) must not exceed autoscale.max_workers (\(high))")
                }
                spec.autoscale = Autoscale(minWorkers: low, maxWorkers: high)
            case "custom_tags":
                guard member.value != .null else { continue }
                guard case .object(let tags) = member.value else {
                    throw VigilError(.invalidParameter, "custom_tags must be an object of string values, got \(member.value.typeName)")
                }
                guard tags.count <= maxTags else {
                    throw VigilError(.invalidParameter, "custom_tags has \(tags.count) tags, at most \(maxTags) allowed")
                }
                for tag in tags {
                    guard case .string(let text) = tag.value else {
                        throw VigilError(.invalidParameter, "custom_tags.\(tag.key.prefix(64)) must be a string, got \(tag.value.typeName)")
                    }
                    guard !tag.key.isEmpty, tag.key.count <= 127, text.count <= 255 else {
                        throw VigilError(.invalidParameter, "custom_tags keys must be 1 to 127 characters and values at most 255 ('\(tag.key.prefix(64))')")
                    }
                    spec.customTags.append((tag.key, text))
                }
            case "autotermination_minutes":
                guard member.value != .null else { continue }
                let minutes = try integer(member.value, name: "autotermination_minutes", range: 0...autoterminationRange.upperBound)
                guard minutes == 0 || autoterminationRange.contains(minutes) else {
                    throw VigilError(.invalidParameter, "autotermination_minutes must be 0 (never) or between \(autoterminationRange.lowerBound) and \(autoterminationRange.upperBound), got \(minutes)")
                }
                spec.autoterminationMinutes = minutes
            case let key where settingFields.contains(key):
                if member.value != .null { spec.settings.append(member) }
            case let key where outputOnlyFields.contains(key) || extraAllowed.contains(key):
                continue
            default:
                throw VigilError(
                    .invalidParameter,
                    "unknown field '\(member.key.prefix(64))' in the ClusterSpec; fields: autoscale, autotermination_minutes, cluster_name, custom_tags, driver_node_type_id, node_type_id, num_workers, spark_version, \(settingFields.sorted().joined(separator: ", "))")
            }
        }
        guard sawName else { throw VigilError(.invalidParameter, "cluster_name is required") }
        if spec.numWorkers != nil, spec.autoscale != nil {
            throw VigilError(.invalidParameter, "give either num_workers or autoscale, not both")
        }
        if spec.numWorkers == nil, spec.autoscale == nil { spec.numWorkers = 0 }
        return spec
    }

    static func optionalText(_ member: JSONMember, max: Int) throws -> String? {
        switch member.value {
        case .null: return nil
        case .string(let text) where !text.isEmpty && text.count <= max: return text
        case .string: throw VigilError(.invalidParameter, "\(member.key) must be 1 to \(max) characters")
        default: throw VigilError(.invalidParameter, "\(member.key) must be a string, got \(member.value.typeName)")
        }
    }

    static func integer(_ value: JSONValue, name: String, range: ClosedRange<Int>) throws -> Int {
        guard case .number(let text) = value, let number = Int(text) else {
            throw VigilError(.invalidParameter, "\(name) must be an integer, got \(value.typeName == "number" ? "a fraction or a huge number" : value.typeName)")
        }
        guard range.contains(number) else {
            throw VigilError(.invalidParameter, "\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    /// The spec as JSON, in ClusterSpec names: what `get` answers and what EDITED events record as `attributes`.
    public var json: [JSONMember] {
        var members = [JSONMember("cluster_name", .string(clusterName))]
        if let sparkVersion { members.append(JSONMember("spark_version", .string(sparkVersion))) }
        if let nodeTypeID { members.append(JSONMember("node_type_id", .string(nodeTypeID))) }
        if let driverNodeTypeID { members.append(JSONMember("driver_node_type_id", .string(driverNodeTypeID))) }
        if let autoscale {
            members.append(JSONMember("autoscale", .object([
                JSONMember("min_workers", .number(String(autoscale.minWorkers))),
                JSONMember("max_workers", .number(String(autoscale.maxWorkers))),
            ])))
        } else {
            members.append(JSONMember("num_workers", .number(String(numWorkers ?? 0))))
        }
        if !customTags.isEmpty {
            members.append(JSONMember("custom_tags", .object(customTags.map { JSONMember($0.key, .string($0.value)) })))
        }
        if let autoterminationMinutes { members.append(JSONMember("autotermination_minutes", .number(String(autoterminationMinutes)))) }
        return members + settings
    }

    /// Reads back what `json` wrote (the stored form).
    public static func stored(_ text: String) -> ClusterSpec? {
        guard let value = try? JSONParser.parse(Array(text.utf8)) else { return nil }
        return try? parse(value)
    }
}

/// Cluster ids as Databricks forms them (`1202-214618-ab12cd34`: month and day, time of day, eight random
/// characters); `vigil agent --cluster-id` may name its own.
public enum ClusterID {
    public static let rule = "1 to 64 letters, digits, '-', '_' or '.'"

    public static func problem(_ id: String) -> String? {
        guard !id.isEmpty, id.utf8.count <= 64, id.utf8.allSatisfy({
            (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 95 || $0 == 46
        }) else { return "a cluster id is \(rule)" }
        return nil
    }

    public static func make(millis: Int64) -> String {
        let days = Int64((Double(millis) / 86_400_000).rounded(.down))
        let (_, month, day) = Timestamp.civilFromDays(days)
        let second = Int((millis - days * 86_400_000) / 1000)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var random = SystemRandomNumberGenerator()
        let suffix = String((0..<8).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(month))\(two(day))-\(two(second / 3600))\(two(second / 60 % 60))\(two(second % 60))-\(suffix)"
    }
}
