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
        let (rows, count) = IngestBody.decode(
            body, contentType: request.headers[.contentType], limits: limits, item: "row", problems: &problems
        ) { decoder.decode($0, index: $1, nowMillis: now, problems: &$2) }
        context.auditNote.set("row_count", String(count))
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
