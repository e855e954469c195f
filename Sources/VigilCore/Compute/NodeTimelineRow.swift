/// One row of `system.compute.node_timeline` (reference databricks.md §3): how one compute instance was used over
/// one interval (Databricks writes one row per instance per minute). Percentages are 0–100; byte counts are totals
/// over the interval.
public struct NodeTimelineRow: Sendable, Equatable {
    public var accountID: String?
    public var workspaceID: String?
    public var clusterID: String
    public var instanceID: String
    public var startMillis: Int64
    public var endMillis: Int64
    public var driver: Bool?
    public var cpuUserPercent: Double?
    public var cpuSystemPercent: Double?
    public var cpuWaitPercent: Double?
    public var memUsedPercent: Double?
    public var memSwapPercent: Double?
    public var networkSentBytes: Int64?
    public var networkReceivedBytes: Int64?
    /// Free bytes of each mount point (`/`, `/local_disk0`...), sorted by mount point.
    public var diskFreeBytesPerMountPoint: [DiskFree]?
    public var nodeType: String?

    public struct DiskFree: Sendable, Equatable {
        public var mountPoint: String
        public var freeBytes: Int64

        public init(mountPoint: String, freeBytes: Int64) {
            self.mountPoint = mountPoint
            self.freeBytes = freeBytes
        }
    }

    public init(clusterID: String, instanceID: String, startMillis: Int64, endMillis: Int64) {
        self.clusterID = clusterID
        self.instanceID = instanceID
        self.startMillis = startMillis
        self.endMillis = endMillis
    }

    /// The map column as stored: a JSON object sorted by mount point, values as JSON integers.
    public var diskFreeJSON: String? {
        guard let disks = diskFreeBytesPerMountPoint else { return nil }
        var writer = JSONWriter()
        writer.beginObject()
        for (index, disk) in disks.enumerated() {
            if index > 0 { writer.comma() }
            writer.key(disk.mountPoint)
            writer.integer(disk.freeBytes)
        }
        writer.endObject()
        return writer.string
    }
}
