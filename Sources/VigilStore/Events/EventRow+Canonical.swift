import Foundation
import GRDB
import VigilCore
import VigilLedger

extension EventRow {
    /// The leaf hash a stored row should have, or an empty hash (which matches no leaf) when its stored
    /// `event_date` is not the date of its `event_time`: that column is derived, so outside the canonical
    /// bytes, and an edited date would otherwise change query results unnoticed. `eventDateColumn` is the
    /// row index of `event_date`, selected after `selectColumns`.
    static func expectedLeafHash(_ row: Row, offset: Int = 0, eventDateColumn: Int) -> MerkleHash {
        guard (row[eventDateColumn] as String?) == Timestamp.formatDate(millis: row[offset + 2]) else { return [] }
        return MerkleHasher.leafHash(canonicalBytes(row, offset: offset))
    }

    /// The canonical bytes of a stored row (columns `selectColumns` from `offset`), written straight from the
    /// column bytes without building an `AuditEvent` — `vigil verify` does this for every row of the log.
    /// It must produce exactly `EventRow.decode(row).event.canonicalBytes()`; a test holds the two together.
    ///
    /// `request_params` is copied as stored: Vigil stores it in canonical form, so a stored map that was
    /// rewritten, even into equivalent JSON, no longer matches its leaf.
    static func canonicalBytes(_ row: Row, offset: Int = 0) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 600)
        let present: Int64 = row[offset + 22]
        let eventTime: Int64 = row[offset + 2]
        func text(_ key: StaticString, _ index: Int, last: Bool = false) {
            writer.raw(key)
            let written = (try? row.withUnsafeData(atIndex: offset + index) { data -> Bool in
                guard let data else { return false }
                data.withUnsafeBytes { writer.string(utf8: $0) }
                return true
            }) ?? false
            if !written { writer.null() }
            if !last { writer.comma() }
        }
        writer.beginObject()
        text("\"account_id\":", 3)
        text("\"workspace_id\":", 4)
        text("\"version\":", 5)
        writer.raw("\"event_time\":"); writer.timestamp(millis: eventTime); writer.comma()
        writer.raw("\"event_date\":"); writer.date(millis: eventTime); writer.comma()
        text("\"source_ip_address\":", 6)
        text("\"user_agent\":", 7)
        text("\"session_id\":", 8)
        writer.raw("\"user_identity\":")
        if present & 1 != 0 {
            writer.beginObject()
            text("\"email\":", 9)
            text("\"subject_name\":", 10, last: true)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.comma()
        text("\"service_name\":", 11)
        text("\"action_name\":", 12)
        text("\"request_id\":", 13)
        writer.raw("\"request_params\":")
        let wroteParams = (try? row.withUnsafeData(atIndex: offset + 14) { data -> Bool in
            guard let data else { return false }
            data.withUnsafeBytes { writer.rawJSON($0) }
            return true
        }) ?? false
        if !wroteParams { writer.null() }
        writer.comma()
        writer.raw("\"response\":")
        if present & 2 != 0 {
            writer.beginObject()
            writer.raw("\"status_code\":")
            if let code = row[offset + 15] as Int64? { writer.integer(Int32(truncatingIfNeeded: code)) } else { writer.null() }
            writer.comma()
            text("\"error_message\":", 16)
            text("\"result\":", 17, last: true)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.comma()
        text("\"audit_level\":", 18)
        text("\"event_id\":", 1)
        writer.raw("\"identity_metadata\":")
        if present & 4 != 0 {
            writer.beginObject()
            text("\"run_by\":", 19)
            text("\"run_as\":", 20)
            text("\"acting_resource\":", 21, last: true)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.endObject()
        return writer.bytes
    }
}
