/// Turns one producer JSON object into a `NodeTimelineRow`, in the column names of `system.compute.node_timeline`,
/// collecting every problem of the row (as the audit event decoder does) so a producer fixes a batch from one 400.
public struct NodeTimelineDecoder: Sendable {
    public var limits: IngestLimits

    public init(limits: IngestLimits = IngestLimits()) {
        self.limits = limits
    }

    static let percentFields = ["cpu_user_percent", "cpu_system_percent", "cpu_wait_percent", "mem_used_percent", "mem_swap_percent"]
    static let byteFields = ["network_sent_bytes", "network_received_bytes"]
    static let allKeys: Set<String> = Set(
        ["account_id", "workspace_id", "cluster_id", "instance_id", "start_time", "end_time", "driver",
         "disk_free_bytes_per_mount_point", "node_type"] + percentFields + byteFields)

    /// Decodes the row at `index` of a request received at `nowMillis`; nil when any problem was found (and
    /// appended to `problems`).
    public func decode(_ value: JSONValue, index: Int, nowMillis: Int64, problems: inout [ValidationProblem]) -> NodeTimelineRow? {
        guard case .object(let members) = value else {
            problems.append(.init(index: index, field: "", reason: .notAnObject, detail: "got \(value.typeName), want object"))
            return nil
        }
        var reader = FieldReader(index: index, members: members, shape: TableShape.self)
        let clusterID = reader.requiredString("cluster_id", missing: .missingField)
        let instanceID = reader.requiredString("instance_id", missing: .missingField)
        let start = reader.rfc3339("start_time", missing: .missingField, invalid: .invalidTimestamp)
        let end = reader.rfc3339("end_time", missing: .missingField, invalid: .invalidTimestamp)
        if let start, let end, end <= start {
            reader.report("end_time", .invalidInterval, "end_time must be after start_time")
        }
        if let end, end > nowMillis + limits.maxFutureSkewMillis {
            reader.report("end_time", .invalidTimestamp, "\(Timestamp.formatRFC3339(millis: end)) is more than \(limits.maxFutureSkewMillis / 1000) s ahead of the server clock")
        }
        var row = NodeTimelineRow(clusterID: clusterID ?? "", instanceID: instanceID ?? "", startMillis: start ?? 0, endMillis: end ?? 0)
        row.accountID = reader.optionalString("account_id")
        row.workspaceID = reader.identifierText("workspace_id")
        row.nodeType = reader.optionalString("node_type")
        row.driver = reader.optionalBool("driver")
        let percents = Self.percentFields.map { reader.optionalNumber($0, range: 0...100) }
        (row.cpuUserPercent, row.cpuSystemPercent, row.cpuWaitPercent, row.memUsedPercent, row.memSwapPercent) =
            (percents[0], percents[1], percents[2], percents[3], percents[4])
        let bytes = Self.byteFields.map { reader.optionalByteCount($0) }
        (row.networkSentBytes, row.networkReceivedBytes) = (bytes[0], bytes[1])
        row.diskFreeBytesPerMountPoint = reader.diskFree("disk_free_bytes_per_mount_point")
        reader.reportUnknownMembers(known: Self.allKeys, shapeName: "node_timeline")
        guard reader.problems.isEmpty, clusterID != nil, instanceID != nil, start != nil, end != nil else {
            problems.append(contentsOf: reader.problems)
            return nil
        }
        return row
    }
}

extension FieldReader {
    mutating func optionalBool(_ key: String) -> Bool? {
        switch value(key) {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want boolean")
            return nil
        }
    }

    mutating func optionalNumber(_ key: String, range: ClosedRange<Double>) -> Double? {
        switch value(key) {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let number = Double(text), range.contains(number) else {
                report(key, .outOfRange, "got \(text.prefix(32)), want a number from \(range.lowerBound) to \(range.upperBound)")
                return nil
            }
            return number
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want number")
            return nil
        }
    }

    mutating func optionalByteCount(_ key: String) -> Int64? {
        switch value(key) {
        case nil, .null?: return nil
        case .number(let text)?: return byteCount(text, field: key)
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want integer")
            return nil
        }
    }

    private mutating func byteCount(_ text: String, field: String) -> Int64? {
        guard let count = Int64(text), count >= 0 else {
            report(field, .outOfRange, "got \(text.prefix(32)), want a non-negative integer")
            return nil
        }
        return count
    }

    /// `MAP<STRING, BIGINT>`: an object of mount point → free bytes, returned sorted by mount point.
    mutating func diskFree(_ key: String) -> [NodeTimelineRow.DiskFree]? {
        switch value(key) {
        case nil, .null?: return nil
        case .object(let inner)?:
            var disks: [NodeTimelineRow.DiskFree] = []
            var seen = Set<String>()
            for member in inner {
                let path = "\(key).\(member.key)"
                guard seen.insert(member.key).inserted else {
                    report(path, .duplicateField, "the key appears more than once")
                    continue
                }
                guard !member.key.isEmpty else {
                    report(key, .missingField, "a mount point must not be empty")
                    continue
                }
                _ = checkedText(member.key, path)
                switch member.value {
                case .null: continue
                case .number(let text): if let bytes = byteCount(text, field: path) { disks.append(.init(mountPoint: member.key, freeBytes: bytes)) }
                default: report(path, .wrongType, "got \(member.value.typeName), want integer")
                }
            }
            return disks.sorted { $0.mountPoint < $1.mountPoint }
        case let other?:
            report(key, .wrongType, "got \(other.typeName), want object")
            return nil
        }
    }
}
