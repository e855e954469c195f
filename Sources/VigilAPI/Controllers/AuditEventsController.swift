import Foundation
import Hummingbird
import VigilCore
import VigilStore

/// `/api/2.0/audit/events`: ingest (POST) and query (GET) in the `system.access.audit` table shape.
struct AuditEventsController {
    let ingestor: EventIngestor
    let events: EventStore
    let ledger: LedgerStore

    static let listParameters: Set<String> = [
        "start_time", "end_time", "workspace_id", "service_name", "action_name", "user", "source_ip_address",
        "request_id", "status_code", "order", "page_size", "page_token", "include",
    ]

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/audit/events"), use: ingest)
        router.on(RouteTable.entry(.get, "/api/2.0/audit/events"), use: list)
        router.on(RouteTable.entry(.get, "/api/2.0/audit/events/{event_id}"), use: get)
    }

    @Sendable func ingest(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await RequestBody.collect(
            request, limit: ingestor.decoder.limits.maxRequestBytes, hint: "; split it into several requests")
        let result = try await ingestor.ingest(
            body: body, contentType: request.headers[.contentType],
            userAgent: request.headers[.userAgent], context: context)
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("accepted"); writer.integer(result.accepted); writer.comma()
            writer.key("duplicates"); writer.integer(result.duplicates); writer.comma()
            writer.key("events")
            writer.beginArray()
            for (position, event) in result.events.enumerated() {
                if position > 0 { writer.comma() }
                writer.beginObject()
                writer.key("event_id"); writer.string(event.eventID); writer.comma()
                writer.key("seq"); writer.integer(event.seq); writer.comma()
                writer.key("duplicate"); writer.bool(event.duplicate)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
    }

    @Sendable func list(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: Self.listParameters)
        var filter = EventFilter()
        filter.startMillis = try query.instant("start_time")
        filter.endMillis = try query.instant("end_time")
        filter.workspaceID = try query.string("workspace_id")
        filter.serviceName = try query.string("service_name")
        filter.actionNames = try query.all("action_name")
        filter.userEmail = try query.string("user")
        filter.sourceIPAddress = try query.string("source_ip_address")
        filter.requestID = try query.string("request_id")
        filter.statusCode = try query.integer("status_code", range: 100...599).map { Int32($0) }
        filter.allowedWorkspaceIDs = try context.requireAccess().auditScope?.workspaceIDs
        if let start = filter.startMillis, let end = filter.endMillis, start >= end {
            throw VigilError(.invalidParameter, "start_time must be before end_time")
        }
        let orderText = try query.string("order") ?? "desc"
        guard let order = SortOrder(rawValue: orderText.lowercased()) else {
            throw VigilError(.invalidParameter, "order must be asc or desc, got '\(orderText.prefix(16))'")
        }
        let pageSize = try query.integer("page_size", range: 1...1000) ?? 100
        let cursor = try query.string("page_token").map(PageToken.decode)
        for (key, value) in [("start_time", try query.string("start_time")), ("end_time", try query.string("end_time")),
                             ("user", filter.userEmail), ("service_name", filter.serviceName), ("workspace_id", filter.workspaceID)] {
            context.auditNote.set(key, value.map { String($0.prefix(256)) })
        }
        if !filter.actionNames.isEmpty { context.auditNote.set("action_name", filter.actionNames.joined(separator: ",")) }

        let includeLedger = try Self.includesLedger(query.string("include"))
        let page = try await events.list(filter: filter, order: order, pageSize: pageSize, after: cursor)
        let leaves = includeLedger ? try await ledger.leafHashes(of: page.events.map(\.seq)) : [:]
        context.auditNote.set("row_count", String(page.events.count))
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("events")
            writer.beginArray()
            for (position, stored) in page.events.enumerated() {
                if position > 0 { writer.comma() }
                Self.write(stored, leafHash: includeLedger ? leaves[stored.seq] : nil, into: &writer, includeLedger: includeLedger)
            }
            writer.endArray()
            if let next = page.next {
                writer.comma()
                writer.key("next_page_token"); writer.string(PageToken.encode(next))
            }
            writer.endObject()
        }
    }

    @Sendable func get(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["include"])
        let includeLedger = try Self.includesLedger(query.string("include"))
        guard let eventID = context.parameters.get("event_id"), EventDecoder.isValidEventID(eventID) else {
            throw VigilError(.invalidParameter, "event_id must be 1 to 128 characters from [A-Za-z0-9._:-]")
        }
        context.auditNote.set("event_id", eventID)
        let allowed = try context.requireAccess().auditScope?.workspaceIDs
        // An event of a workspace outside the caller's scope is reported as missing: its existence is not revealed.
        guard let stored = try await events.event(id: eventID),
            allowed.map({ $0.contains(stored.event.workspaceID ?? "") }) ?? true
        else {
            throw VigilError(.notFound, "no audit event with event_id '\(eventID)'")
        }
        let leaf = includeLedger ? try await ledger.leafHashes(of: [stored.seq])[stored.seq] : nil
        return JSONResponse.write { Self.write(stored, leafHash: leaf, into: &$0, includeLedger: includeLedger) }
    }

    /// `include=ledger` adds each event's `seq`, base64 `leaf_hash` and the server's `received_time` after the
    /// table columns (the canonical bytes are the table columns alone).
    static func includesLedger(_ value: String?) throws -> Bool {
        guard let value else { return false }
        guard value == "ledger" else { throw VigilError(.invalidParameter, "include must be 'ledger', got '\(value.prefix(32))'") }
        return true
    }

    static func write(_ stored: StoredEvent, leafHash: [UInt8]?, into writer: inout JSONWriter, includeLedger: Bool) {
        guard includeLedger else { return stored.event.writeTableJSON(into: &writer) }
        stored.event.writeTableJSON(into: &writer) { writer in
            writer.comma()
            writer.key("seq"); writer.integer(stored.seq); writer.comma()
            writer.key("leaf_hash"); writer.string(leafHash.map { Data($0).base64EncodedString() }); writer.comma()
            writer.key("received_time"); writer.timestamp(millis: stored.receivedMillis)
        }
    }
}
