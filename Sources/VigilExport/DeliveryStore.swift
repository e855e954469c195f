import GRDB
import VigilCore
import VigilStore

/// A destination's delivery state in `vigil.sqlite` (migration 015).
public struct DeliveryState: Sendable, Equatable {
    public var name: String
    public var url: String
    /// The last seq delivered (-1 before the first).
    public var deliveredSeq: Int64
    /// The batch being uploaded, redone exactly after a crash.
    public var pending: ClosedRange<Int64>?
    public var lastDeliveryMillis: Int64?
    /// A digest being written: its end time and the last file id it lists.
    public var pendingDigest: (endMillis: Int64, upTo: Int64)?
    /// The chain's head: the newest digest written.
    public var head: ChainHead?
    public var createdMillis: Int64

    public struct ChainHead: Sendable, Equatable {
        public var object: String
        public var hash: String
        public var signature: String
        public var endMillis: Int64
    }

    public static func == (lhs: DeliveryState, rhs: DeliveryState) -> Bool {
        lhs.name == rhs.name && lhs.url == rhs.url && lhs.deliveredSeq == rhs.deliveredSeq && lhs.pending == rhs.pending
            && lhs.head == rhs.head && lhs.pendingDigest?.endMillis == rhs.pendingDigest?.endMillis
            && lhs.pendingDigest?.upTo == rhs.pendingDigest?.upTo
    }
}

/// Reads and writes the delivery tables. Every change of state is one transaction, so a crash leaves either the
/// state before a step or after it.
public struct DeliveryStore: Sendable {
    public let database: VigilDatabase

    public init(database: VigilDatabase) {
        self.database = database
    }

    /// The destination's state, created on first use. A name already used for another URL is refused: its cursor
    /// and digest chain belong to that location.
    public func open(name: String, url: String, now: Int64) async throws -> DeliveryState {
        try await database.pool.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM delivery_destinations WHERE name = ?", arguments: [name]) {
                let state = Self.state(row)
                guard state.url == url else {
                    throw VigilError(.invalidParameter, "delivery \(name) delivers to \(state.url), not \(url): its cursor and digest chain belong there; give the new location a new name")
                }
                return state
            }
            try db.execute(sql: "INSERT INTO delivery_destinations(name, url, created_time) VALUES (?, ?, ?)", arguments: [name, url, now])
            return DeliveryState(name: name, url: url, deliveredSeq: -1, createdMillis: now)
        }
    }

    public func state(name: String) async throws -> DeliveryState? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM delivery_destinations WHERE name = ?", arguments: [name]).map(Self.state)
        }
    }

    /// Records the batch about to be uploaded.
    public func plan(name: String, batch: ClosedRange<Int64>) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE delivery_destinations SET pending_first = ?, pending_last = ? WHERE name = ?",
                           arguments: [batch.lowerBound, batch.upperBound, name])
        }
    }

    /// The batch is uploaded: its files are recorded and the cursor moves past it, at once.
    public func delivered(name: String, batch: ClosedRange<Int64>, files: [DeliveredFileRecord], now: Int64) async throws {
        try await database.pool.write { db in
            for file in files {
                try db.execute(sql: """
                    INSERT INTO delivery_files(name, object_key, sha256, first_seq, last_seq, seq_ranges, event_count,
                                               oldest_event_time, newest_event_time, delivered_time)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(name, object_key) DO UPDATE SET sha256 = excluded.sha256, delivered_time = excluded.delivered_time
                    """, arguments: [name, file.key, file.sha256, file.batch.lowerBound, file.batch.upperBound,
                                     Self.rangesText(file.seqRanges), file.eventCount, file.oldestEventMillis, file.newestEventMillis, now])
            }
            try db.execute(sql: """
                UPDATE delivery_destinations SET delivered_seq = ?, pending_first = NULL, pending_last = NULL, last_delivery_time = ?
                WHERE name = ?
                """, arguments: [batch.upperBound, now, name])
        }
    }

    /// Records the digest about to be written: it will list the undigested files up to the newest now.
    public func planDigest(name: String, endMillis: Int64) async throws -> (endMillis: Int64, upTo: Int64) {
        try await database.pool.write { db in
            let upTo = try Int64.fetchOne(db, sql: "SELECT max(id) FROM delivery_files WHERE name = ?", arguments: [name]) ?? 0
            try db.execute(sql: "UPDATE delivery_destinations SET digest_pending_time = ?, digest_pending_upto = ? WHERE name = ?",
                           arguments: [endMillis, upTo, name])
            return (endMillis, upTo)
        }
    }

    /// The files a digest lists: not yet in a digest, up to file id `upTo`, in delivery order.
    public func undigestedFiles(name: String, upTo: Int64) async throws -> [DeliveredFileRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM delivery_files WHERE name = ? AND digest_object IS NULL AND id <= ? ORDER BY id
                """, arguments: [name, upTo]).map(Self.file)
        }
    }

    /// The digest is written: its files are marked and it becomes the chain's head, at once.
    public func digested(name: String, head: DeliveryState.ChainHead, upTo: Int64) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE delivery_files SET digest_object = ? WHERE name = ? AND digest_object IS NULL AND id <= ?",
                           arguments: [head.object, name, upTo])
            try db.execute(sql: """
                UPDATE delivery_destinations SET digest_object = ?, digest_hash = ?, digest_signature = ?, digest_time = ?,
                    digest_pending_time = NULL, digest_pending_upto = NULL
                WHERE name = ?
                """, arguments: [head.object, head.hash, head.signature, head.endMillis, name])
        }
    }

    static func state(_ row: Row) -> DeliveryState {
        let first: Int64? = row["pending_first"]
        let last: Int64? = row["pending_last"]
        let pendingTime: Int64? = row["digest_pending_time"]
        let pendingUpTo: Int64? = row["digest_pending_upto"]
        let object: String? = row["digest_object"]
        var head: DeliveryState.ChainHead?
        if let object, let hash: String = row["digest_hash"], let signature: String = row["digest_signature"], let time: Int64 = row["digest_time"] {
            head = .init(object: object, hash: hash, signature: signature, endMillis: time)
        }
        return DeliveryState(
            name: row["name"], url: row["url"], deliveredSeq: row["delivered_seq"],
            pending: first.flatMap { first in last.map { first...$0 } }, lastDeliveryMillis: row["last_delivery_time"],
            pendingDigest: pendingTime.flatMap { time in pendingUpTo.map { (time, $0) } }, head: head, createdMillis: row["created_time"])
    }

    static func file(_ row: Row) -> DeliveredFileRecord {
        DeliveredFileRecord(
            key: row["object_key"], sha256: row["sha256"], batch: (row["first_seq"] as Int64)...(row["last_seq"] as Int64),
            seqRanges: ranges(row["seq_ranges"]), eventCount: row["event_count"], oldestEventMillis: row["oldest_event_time"],
            newestEventMillis: row["newest_event_time"])
    }

    /// `1-5,9-9`
    static func rangesText(_ ranges: [ClosedRange<Int64>]) -> String {
        ranges.map { "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }

    static func ranges(_ text: String) -> [ClosedRange<Int64>] {
        text.split(separator: ",").compactMap { part in
            let bounds = part.split(separator: "-")
            guard bounds.count == 2, let low = Int64(bounds[0]), let high = Int64(bounds[1]), low <= high else { return nil }
            return low...high
        }
    }
}
