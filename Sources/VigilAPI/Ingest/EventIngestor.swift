import VigilCore
import VigilStore

/// The ingest path between HTTP and the sequencer: split the body, validate every event, refuse the
/// whole request when any event is invalid, then submit the batch and wait for its commit.
struct EventIngestor: Sendable {
    let decoder: EventDecoder
    let sequencer: Sequencer
    let recorder: SelfAuditRecorder
    let metrics: VigilMetrics
    let clock: any WallClock

    struct Result: Sendable {
        let events: [SequencedEvent]
        var accepted: Int { events.filter { !$0.duplicate }.count }
        var duplicates: Int { events.count - accepted }
    }

    func ingest(body: [UInt8], contentType: String?, userAgent: String?, context: VigilRequestContext) async throws -> Result {
        let limits = decoder.limits
        let now = clock.nowMillis()
        var problems: [ValidationProblem] = []
        let (events, count) = IngestBody.decode(body, contentType: contentType, limits: limits, item: "event", problems: &problems) {
            decoder.decode($0, index: $1, nowMillis: now, problems: &$2)
        }
        return try await submit(events, count: count, problems: problems, now: now, route: RouteTable.entry(.post, "/api/2.0/audit/events"),
                                userAgent: userAgent, context: context)
    }

    /// Events a source mapped to the table shape (each with its index in what the source sent), validated as a
    /// producer's are. A source that cannot resend what was refused (the Kubernetes API server drops a batch it
    /// got a 4xx for) keeps the valid events: the invalid ones are left out, and named in `refused`.
    func ingest(tableEvents values: [(index: Int, value: JSONValue)], count: Int, problems: [ValidationProblem], route: APIRoute,
                userAgent: String?, context: VigilRequestContext) async throws -> (result: Result, refused: [ValidationProblem]) {
        let now = clock.nowMillis()
        var refused = problems
        var events: [AuditEvent] = []
        for (index, value) in values {
            if let event = decoder.decode(value, index: index, nowMillis: now, problems: &refused) { events.append(event) }
        }
        if count == 0 {
            throw VigilError(.validationFailed, "no events", problems: [.init(index: 0, field: "", reason: .emptyRequest, detail: "no events")])
        }
        if !refused.isEmpty { metrics.countRejections(refused, counter: metrics.rejectedCounter) }
        if events.isEmpty { return (Result(events: []), refused) }
        return (try await submit(events, count: count, problems: [], now: now, route: route, userAgent: userAgent, context: context), refused)
    }

    private func submit(_ events: [AuditEvent], count: Int, problems: [ValidationProblem], now: Int64, route: APIRoute, userAgent: String?,
                        context: VigilRequestContext) async throws -> Result {
        let prepared = events.map { PreparedEvent($0, receivedMillis: now) }
        context.auditNote.set("event_count", String(count))
        if !problems.isEmpty {
            metrics.countRejections(problems, counter: metrics.rejectedCounter)
            throw VigilError(.validationFailed, Self.message(for: problems), problems: problems)
        }
        switch try await sequencer.submit(prepared, trailer: selfAuditTrailer(route: route, context: context, userAgent: userAgent)) {
        case .stored(let sequenced):
            let result = Result(events: sequenced)
            metrics.eventsAccepted.increment(by: Int64(result.accepted))
            metrics.eventsDuplicate.increment(by: Int64(result.duplicates))
            // The trailer wrote this request's self-audit record in the same transaction as its events.
            context.auditNote.isRecorded = true
            return result
        case .conflict(let eventID, let existingSeq):
            let index = prepared.firstIndex { $0.event.eventID == eventID } ?? 0
            context.auditNote.set("conflicting_event_id", eventID)
            metrics.rejectedCounter(.eventIDConflict).increment(by: Int64(prepared.count))
            // The conflict is a security event of its own (someone may be trying to rewrite history).
            try await recorder.record(.init(
                service: "vigil", action: "eventIdConflict", userName: context.principal?.userName,
                sourceIP: context.remoteIP, userAgent: nil, requestID: context.requestID, statusCode: 409,
                errorMessage: "event_id already stored with different content",
                requestParams: [("event_id", eventID), ("existing_seq", String(existingSeq))]))
            // Where the stored event sits in the log is the log's business: only a caller who may read all of it
            // learns the seq (an ingest-only producer could otherwise probe which ids exist where).
            let mayReadLog = context.access?.allows(.readWholeAuditLog) == true
            let location = mayReadLog ? " (seq \(existingSeq))" : ""
            throw VigilError(
                .eventIDConflict,
                "event \(index): event_id '\(eventID)' is already stored\(location) with different content; nothing from this request was stored",
                problems: [.init(index: index, field: "event_id", reason: .eventIDConflict,
                                 detail: "already stored\(mayReadLog ? " at seq \(existingSeq)" : "") with different content")])
        }
    }

    /// A successful ingest's self-audit record, built from the outcome and written right after the events in
    /// their transaction: one commit per request instead of two, and the record cannot exist without the
    /// events or the reverse. A conflict writes nothing here; the middleware records that 409 as usual.
    private func selfAuditTrailer(route: APIRoute, context: VigilRequestContext, userAgent: String?) -> Sequencer.Trailer {
        let recorder = recorder
        let params = context.auditNote.requestParams
        let userName = context.principal?.userName
        let sourceIP = context.remoteIP
        let requestID = context.requestID
        return { outcome in
            guard case .stored(let sequenced) = outcome else { return nil }
            let accepted = sequenced.filter { !$0.duplicate }.count
            return recorder.event(for: .init(
                service: route.service, action: route.action, userName: userName, sourceIP: sourceIP, userAgent: userAgent,
                requestID: requestID, statusCode: 200, errorMessage: nil,
                requestParams: params + [("accepted", String(accepted)), ("duplicates", String(sequenced.count - accepted))]))
        }
    }

    /// "2 problems: event 0: action_name: missing_action_name (…); event 3: …" — every problem, so a
    /// client that shows only `message` still learns everything.
    static func message(for problems: [ValidationProblem], item: String = "event") -> String {
        let noun = problems.count == 1 ? "problem" : "problems"
        return "request refused, nothing stored; \(problems.count) \(noun): "
            + problems.map { $0.description(item: item) }.joined(separator: "; ")
    }
}
