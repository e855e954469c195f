import GRDB
import VigilCore

/// Reads of the audit log. Writes go through the `Sequencer` only.
public struct EventStore: Sendable {
    public let database: VigilDatabase

    public init(database: VigilDatabase) {
        self.database = database
    }

    public struct Page: Sendable {
        public var events: [StoredEvent]
        /// Where the next page starts, or nil on the last page.
        public var next: EventCursor?
    }

    /// One page of events matching `filter`, ordered by (`event_time`, `seq`).
    /// - Throws: `invalidParameter` when `cursor` was made for another filter or order.
    public func list(filter: EventFilter, order: SortOrder, pageSize: Int, after cursor: EventCursor?) async throws -> Page {
        let fingerprint = filter.fingerprint
        if let cursor, cursor.filterFingerprint != fingerprint || cursor.order != order {
            throw VigilError(.invalidParameter, "page_token was issued for other filters or another order; start again without it")
        }
        return try await database.pool.read { db in
            let snapshot: Int64
            if let cursor {
                snapshot = cursor.snapshotSeq
            } else {
                snapshot = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit_events") ?? -1
            }
            var sql: SQL = "SELECT \(sql: EventRow.selectColumns) FROM audit_events WHERE seq <= \(snapshot)"
            if let start = filter.startMillis { sql += " AND event_time >= \(start)" }
            if let end = filter.endMillis { sql += " AND event_time < \(end)" }
            if let workspace = filter.workspaceID { sql += " AND workspace_id = \(workspace)" }
            if let allowed = filter.allowedWorkspaceIDs { sql += " AND workspace_id IN \(allowed)" }
            if let service = filter.serviceName { sql += " AND service_name = \(service)" }
            if !filter.actionNames.isEmpty { sql += " AND action_name IN \(filter.actionNames)" }
            if let email = filter.userEmail { sql += " AND user_email = \(email)" }
            if let ip = filter.sourceIPAddress { sql += " AND source_ip_address = \(ip)" }
            if let requestID = filter.requestID { sql += " AND request_id = \(requestID)" }
            if let status = filter.statusCode { sql += " AND status_code = \(Int64(status))" }
            switch order {
            case .ascending:
                if let cursor { sql += " AND (event_time, seq) > (\(cursor.eventTimeMillis), \(cursor.seq))" }
                sql += " ORDER BY event_time ASC, seq ASC"
            case .descending:
                if let cursor { sql += " AND (event_time, seq) < (\(cursor.eventTimeMillis), \(cursor.seq))" }
                sql += " ORDER BY event_time DESC, seq DESC"
            }
            sql += " LIMIT \(pageSize + 1)"
            let rows = try Row.fetchAll(db, SQLRequest(literal: sql))
            let events = try rows.prefix(pageSize).map { try EventRow.decode($0) }
            var next: EventCursor?
            if rows.count > pageSize, let last = events.last {
                next = EventCursor(eventTimeMillis: last.event.eventTimeMillis, seq: last.seq, snapshotSeq: snapshot,
                                   filterFingerprint: fingerprint, order: order)
            }
            return Page(events: events, next: next)
        }
    }

    /// The event with `eventID`, or nil.
    public func event(id eventID: String) async throws -> StoredEvent? {
        try await database.pool.read { db in
            let request: SQLRequest<Row> = "SELECT \(sql: EventRow.selectColumns) FROM audit_events WHERE event_id = \(eventID)"
            return try Row.fetchOne(db, request).map { try EventRow.decode($0) }
        }
    }

    /// The events with `seq` in `range`, in seq order (delivery reads the log in fixed ranges).
    public func events(seqs range: ClosedRange<Int64>) async throws -> [StoredEvent] {
        try await database.pool.read { db in
            let request: SQLRequest<Row> = """
                SELECT \(sql: EventRow.selectColumns) FROM audit_events WHERE seq BETWEEN \(range.lowerBound) AND \(range.upperBound) ORDER BY seq
                """
            return try Row.fetchAll(db, request).map { try EventRow.decode($0) }
        }
    }

    /// Number of stored events (the tree size of the ledger).
    public func count() async throws -> Int64 {
        try await database.pool.read { db in
            (try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit_events")).map { $0 + 1 } ?? 0
        }
    }
}
