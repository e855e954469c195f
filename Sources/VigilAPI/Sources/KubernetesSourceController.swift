import Hummingbird
import VigilCore
import VigilExport

/// `POST /api/2.0/vigil/sources/kubernetes`: the Kubernetes API server's audit webhook backend posts its
/// `EventList` here (the webhook kubeconfig's `token:` is a Vigil token with ingest rights). The events are mapped
/// to `system.access.audit` rows (`KubernetesAudit`) and take the ingest path: the same validation, durable before
/// the 200, ledgered. An item that is not a valid audit event is left out and named in the answer (the API server
/// drops a batch it gets a 4xx for, so one bad item must not lose the rest); a body that is not an EventList is a 400. A resent batch stores nothing twice (event ids are derived from auditID and
/// stage). Counted in `vigil_source_events_total{source="kubernetes"}`.
struct KubernetesSourceController {
    let ingestor: EventIngestor
    let metrics: VigilMetrics
    let workspaceID: String

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.post, "/api/2.0/vigil/sources/kubernetes"), use: ingest)
    }

    @Sendable func ingest(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let body = try await RequestBody.collect(request, limit: ingestor.decoder.limits.maxRequestBytes,
                                                 hint: "; lower --audit-webhook-batch-max-size")
        var problems: [ValidationProblem] = []
        let value: JSONValue
        do { value = try JSONParser.parse(body) } catch {
            metrics.sourceEvents("kubernetes", "refused").increment()
            throw VigilError(.validationFailed, "the body is not JSON: \(error)",
                             problems: [.init(index: 0, field: "", reason: .malformedJSON, detail: "\(error)")])
        }
        var structural = false
        let events = KubernetesAudit.tableEvents(value, workspaceID: workspaceID, problems: &problems, structural: &structural)
        let count: Int
        if case .array(let items)? = value["items"] { count = items.count } else { count = structural ? 0 : 1 }
        context.auditNote.set("event_count", String(count))
        if structural {
            metrics.sourceEvents("kubernetes", "refused").increment()
            throw VigilError(.validationFailed, EventIngestor.message(for: problems), problems: problems)
        }
        let (result, refused) = try await ingestor.ingest(
            tableEvents: events, count: count, problems: problems, route: RouteTable.entry(.post, "/api/2.0/vigil/sources/kubernetes"),
            userAgent: request.headers[.userAgent], context: context)
        metrics.sourceEvents("kubernetes", "stored").increment(by: Int64(result.accepted))
        metrics.sourceEvents("kubernetes", "duplicate").increment(by: Int64(result.duplicates))
        let refusedItems = Set(refused.map(\.index))
        if !refusedItems.isEmpty {
            metrics.sourceEvents("kubernetes", "refused").increment(by: Int64(refusedItems.count))
            context.auditNote.set("refused", String(refusedItems.count))
        }
        // 200 with the refusals named: the API server does not resend a batch it got a 4xx for, so refusing the
        // whole batch for one bad item would lose the good ones.
        return JSONResponse.write { writer in
            writer.beginObject()
            writer.key("accepted"); writer.integer(result.accepted); writer.comma()
            writer.key("duplicates"); writer.integer(result.duplicates); writer.comma()
            writer.key("refused"); writer.integer(refusedItems.count); writer.comma()
            writer.key("problems"); writer.beginArray()
            for (position, problem) in refused.enumerated() {
                if position > 0 { writer.comma() }
                writer.string(problem.description(item: "event"))
            }
            writer.endArray()
            writer.endObject()
        }
    }
}
