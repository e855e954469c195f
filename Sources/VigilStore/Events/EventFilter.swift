import Crypto
import VigilCore

/// The filters of `GET /api/2.0/audit/events`. Every field is optional; set fields are ANDed, the
/// `actionNames` list is ORed.
public struct EventFilter: Sendable, Equatable {
    /// Inclusive lower bound on `event_time`, epoch ms.
    public var startMillis: Int64?
    /// Exclusive upper bound on `event_time`, epoch ms.
    public var endMillis: Int64?
    public var workspaceID: String?
    public var serviceName: String?
    public var actionNames: [String]
    /// `user_identity.email`.
    public var userEmail: String?
    public var sourceIPAddress: String?
    public var requestID: String?
    public var statusCode: Int32?
    /// The caller's workspace limit (workspace-scoped auditors): only these `workspace_id`s; nil = no limit.
    public var allowedWorkspaceIDs: [String]?

    public init(
        startMillis: Int64? = nil, endMillis: Int64? = nil, workspaceID: String? = nil, serviceName: String? = nil,
        actionNames: [String] = [], userEmail: String? = nil, sourceIPAddress: String? = nil, requestID: String? = nil,
        statusCode: Int32? = nil
    ) {
        self.startMillis = startMillis
        self.endMillis = endMillis
        self.workspaceID = workspaceID
        self.serviceName = serviceName
        self.actionNames = actionNames
        self.userEmail = userEmail
        self.sourceIPAddress = sourceIPAddress
        self.requestID = requestID
        self.statusCode = statusCode
    }

    /// A short digest of the filter, carried in page tokens so that a token is refused when replayed with
    /// other filters (its position would be meaningless there).
    public var fingerprint: String {
        var writer = JSONWriter()
        writer.beginArray()
        writer.string(startMillis.map(String.init)); writer.comma()
        writer.string(endMillis.map(String.init)); writer.comma()
        writer.string(workspaceID); writer.comma()
        writer.string(serviceName); writer.comma()
        writer.beginArray()
        for (position, name) in actionNames.sorted().enumerated() {
            if position > 0 { writer.comma() }
            writer.string(name)
        }
        writer.endArray(); writer.comma()
        writer.string(userEmail); writer.comma()
        writer.string(sourceIPAddress); writer.comma()
        writer.string(requestID); writer.comma()
        writer.string(statusCode.map { String($0) })
        if let allowed = allowedWorkspaceIDs {
            writer.comma()
            writer.string(allowed.joined(separator: ","))
        }
        writer.endArray()
        return Hex.encode(SHA256.hash(data: writer.bytes).prefix(8))
    }
}

public enum SortOrder: String, Sendable {
    case ascending = "asc"
    case descending = "desc"
}

/// A position in a listing: the last row returned, and the highest `seq` that existed when the first
/// page was read. Later pages only see rows up to that `seq`, so events ingested meanwhile cause neither
/// duplicates nor skips within one walk through the pages.
public struct EventCursor: Sendable, Equatable {
    public var eventTimeMillis: Int64
    public var seq: Int64
    public var snapshotSeq: Int64
    public var filterFingerprint: String
    public var order: SortOrder

    public init(eventTimeMillis: Int64, seq: Int64, snapshotSeq: Int64, filterFingerprint: String, order: SortOrder) {
        self.eventTimeMillis = eventTimeMillis
        self.seq = seq
        self.snapshotSeq = snapshotSeq
        self.filterFingerprint = filterFingerprint
        self.order = order
    }
}
