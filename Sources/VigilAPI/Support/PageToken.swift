import Foundation
import VigilCore
import VigilStore

/// Opaque `page_token`: base64url of `v1.<event_time>.<seq>.<snapshot_seq>.<filter>.<order>`. Clients
/// must not build or edit it; a token that does not decode, or was made for other filters, is a 400.
enum PageToken {
    static func encode(_ cursor: EventCursor) -> String {
        Base64URL.encode("v1.\(cursor.eventTimeMillis).\(cursor.seq).\(cursor.snapshotSeq).\(cursor.filterFingerprint).\(cursor.order.rawValue)")
    }

    static func decode(_ token: String) throws -> EventCursor {
        let invalid = VigilError(.invalidParameter, "page_token is not a token this server issued; start again without it")
        guard let text = Base64URL.decode(token) else { throw invalid }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "v1", let time = Int64(parts[1]), let seq = Int64(parts[2]),
              let snapshot = Int64(parts[3]), let order = SortOrder(rawValue: String(parts[5]))
        else { throw invalid }
        return EventCursor(eventTimeMillis: time, seq: seq, snapshotSeq: snapshot, filterFingerprint: String(parts[4]), order: order)
    }
}
