import Foundation
import GRDB
import VigilLedger

/// The one-row `ledger_state` table: the tree's compact range, read and written inside the sequencer's
/// transaction so that the tree and the events never disagree.
enum LedgerState {
    static func load(_ db: Database) throws -> CompactRange {
        guard let row = try Row.fetchOne(db, sql: "SELECT tree_size, compact_range FROM ledger_state WHERE id = 1") else {
            return CompactRange()
        }
        let size: Int64 = row["tree_size"]
        return try CompactRange(size: UInt64(size), serialized: [UInt8](row["compact_range"] as Data))
    }

    static func save(_ range: CompactRange, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO ledger_state(id, tree_size, compact_range) VALUES (1, ?, ?)
            ON CONFLICT(id) DO UPDATE SET tree_size = excluded.tree_size, compact_range = excluded.compact_range
            """, arguments: [Int64(range.size), Data(range.serialized)])
    }
}
