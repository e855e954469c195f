import Hummingbird
import VigilCore
import VigilExport

/// `POST /api/2.0/vigil/sources/kubernetes`: the Kubernetes API server's audit webhook backend posts its
/// `EventList` here (the webhook kubeconfig's `token:` is a Vigil token with ingest rights). The events are mapped
/// to `system.access.audit` rows (`KubernetesAudit`) and take the ingest path: the same validation, all or nothing,
/// durable before the 200, ledgered. A resent batch stores nothing twice (event ids are derived from auditID and
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
        let events = KubernetesAudit.tableEvents(value, workspaceID: workspaceID, problems: &problems)
        let count: Int
        if case .array(let items)? = value["items"] { count = items.count } else { count = 1 }
        context.auditNote.set("event_count", String(count))
        do {
            let result = try await ingestor.ingest(
                tableEvents: events, count: count, problems: problems, route: RouteTable.entry(.post, "/api/2.0/vigil/sources/kubernetes"),
                userAgent: request.headers[.userAgent], context: context)
            metrics.sourceEvents("kubernetes", "stored").increment(by: Int64(result.accepted))
            metrics.sourceEvents("kubernetes", "duplicate").increment(by: Int64(result.duplicates))
            return JSONResponse.write { writer in
                writer.beginObject()
                writer.key("accepted"); writer.integer(result.accepted); writer.comma()
                writer.key("duplicates"); writer.integer(result.duplicates)
                writer.endObject()
            }
        } catch {
            metrics.sourceEvents("kubernetes", "refused").increment(by: Int64(count))
            throw error
        }
    }
}
