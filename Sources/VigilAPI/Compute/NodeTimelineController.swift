import Hummingbird
import VigilCore
import VigilStore

/// `POST /api/2.0/vigil/compute/node-timeline`: rows of `system.compute.node_timeline` from an agent or a
/// collector, in the table's column names (a JSON array, `{"events": [...]}`, one object, or NDJSON). Every row is
/// validated and any problem refuses the whole request, as audit ingest does; the accepted rows are one transaction.
struct NodeTimelineController {
    let decoder: NodeTimelineDecoder
    let store: NodeTimelineStore
    let metrics: VigilMetrics
    let clock: any WallClock

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/compute/node-timeline"), use: ingest)
    }

    @Sendable func ingest(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let limits = decoder.limits
        let body = try await RequestBody.collect(request, limit: limits.maxRequestBytes, hint: "; split it into several requests")
        let now = clock.nowMillis()
        var problems: [ValidationProblem] = []
        let items = IngestBody.split(body, format: IngestBody.format(contentType: request.headers[.contentType]), problems: &problems)
        if items.isEmpty, problems.isEmpty {
            problems.append(.init(index: 0, field: "", reason: .emptyRequest, detail: "the request holds no rows"))
        }
        if items.count > limits.maxEventsPerRequest {
            problems.append(.init(index: limits.maxEventsPerRequest, field: "", reason: .tooManyEvents,
                                  detail: "got \(items.count) rows, want at most \(limits.maxEventsPerRequest) per request"))
        }
        var rows: [NodeTimelineRow] = []
        rows.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if item.byteCount > limits.maxEventBytes {
                problems.append(.init(index: index, field: "", reason: .eventTooLarge,
                                      detail: "row is \(item.byteCount) bytes, want at most \(limits.maxEventBytes)"))
                continue
            }
            if let value = item.value, let row = decoder.decode(value, index: index, nowMillis: now, problems: &problems) {
                rows.append(row)
            }
        }
        context.auditNote.set("row_count", String(items.count))
        guard problems.isEmpty else {
            metrics.countRejections(problems, counter: metrics.nodeRowRejectedCounter)
            throw VigilError(.validationFailed, EventIngestor.message(for: problems, item: "row"), problems: problems)
        }
        let result: NodeTimelineStore.InsertResult
        do {
            result = try await store.insert(rows, receivedMillis: now)
        } catch let error as VigilError where error.code == .alreadyExists {
            metrics.nodeRowRejectedCounter(.rowConflict).increment(by: Int64(rows.count))
            throw error
        }
        metrics.nodeRowsAccepted.increment(by: Int64(result.accepted))
        metrics.nodeRowsDuplicate.increment(by: Int64(result.duplicates))
        context.auditNote.set("accepted", String(result.accepted))
        context.auditNote.set("duplicates", String(result.duplicates))
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("accepted"); writer.integer(result.accepted); writer.comma()
            writer.key("duplicates"); writer.integer(result.duplicates)
            writer.endObject()
        }
    }
}
