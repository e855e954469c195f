import Hummingbird
import VigilStore

/// The two unauthenticated endpoints.
struct HealthController {
    let database: VigilDatabase
    let workspaceID: String

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/health")) { _, _ in
            // A cheap read proves the database answers; no data is revealed.
            try await database.ping()
            return JSONResponse.write { $0.raw(#"{"status":"ok"}"#) }
        }
        router.on(RouteTable.entry(.get, "/.well-known/databricks-config")) { _, _ in
            // The databricks-sdk probes this without credentials; it must answer fast and never 5xx.
            JSONResponse.write { writer in
                writer.beginObject()
                writer.key("workspace_id"); writer.string(workspaceID)
                writer.endObject()
            }
        }
    }
}
