import Hummingbird

/// One endpoint: where it lives, whether it needs a token, and the `service_name`/`action_name` its
/// self-audit record carries (Databricks names where one fits, reference databricks.md §1.2–1.3; Vigil's
/// own names are listed in docs/audit-actions.md).
public struct APIRoute: Sendable {
    public enum Access: Sendable { case open, authenticated }

    public let method: HTTPRequest.Method
    public let path: String
    public let access: Access
    public let service: String
    public let action: String
}

/// The route table: every endpoint Vigil serves, in one place. Controllers register handlers for these
/// entries only (`RouteTable.route(...)` traps at start-up for an unknown one, so no route escapes the
/// table and its audit names).
public enum RouteTable {
    public static let all: [APIRoute] = [
        APIRoute(method: .get, path: "/health", access: .open, service: "vigil", action: "health"),
        APIRoute(method: .get, path: "/.well-known/databricks-config", access: .open, service: "vigil", action: "hostMetadata"),
        APIRoute(method: .post, path: "/api/2.0/audit/events", access: .authenticated, service: "vigil", action: "ingestAuditEvents"),
        APIRoute(method: .get, path: "/api/2.0/audit/events", access: .authenticated, service: "vigil", action: "listAuditEvents"),
        APIRoute(method: .get, path: "/api/2.0/audit/events/{event_id}", access: .authenticated, service: "vigil", action: "getAuditEvent"),
        APIRoute(method: .post, path: "/api/2.0/token/create", access: .authenticated, service: "accounts", action: "generateDbToken"),
        APIRoute(method: .get, path: "/api/2.0/token/list", access: .authenticated, service: "accounts", action: "listDbTokens"),
        APIRoute(method: .post, path: "/api/2.0/token/delete", access: .authenticated, service: "accounts", action: "revokeDbToken"),
        APIRoute(method: .get, path: "/metrics", access: .authenticated, service: "vigil", action: "scrapeMetrics"),
        APIRoute(method: .get, path: "/api/2.0/vigil/ledger/checkpoint", access: .authenticated, service: "vigil", action: "getLedgerCheckpoint"),
        APIRoute(method: .post, path: "/api/2.0/vigil/ledger/checkpoint", access: .authenticated, service: "vigil", action: "signLedgerCheckpoint"),
        APIRoute(method: .get, path: "/api/2.0/vigil/ledger/keys", access: .authenticated, service: "vigil", action: "listLedgerKeys"),
        APIRoute(method: .get, path: "/api/2.0/vigil/ledger/proof/inclusion", access: .authenticated, service: "vigil", action: "getInclusionProof"),
        APIRoute(method: .get, path: "/api/2.0/vigil/ledger/proof/consistency", access: .authenticated, service: "vigil", action: "getConsistencyProof"),
        APIRoute(method: .post, path: "/api/2.0/sql/statements", access: .authenticated, service: "databrickssql", action: "commandSubmit"),
        APIRoute(method: .get, path: "/api/2.0/sql/statements/{statement_id}", access: .authenticated, service: "databrickssql", action: "getStatement"),
        APIRoute(
            method: .get, path: "/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}", access: .authenticated,
            service: "databrickssql", action: "getStatementResultChunk"),
        APIRoute(method: .post, path: "/api/2.0/sql/statements/{statement_id}/cancel", access: .authenticated, service: "databrickssql", action: "cancelStatement"),
    ]

    private static let byKey: [String: APIRoute] = Dictionary(
        all.map { (key(method: $0.method, path: RouterPath($0.path).description), $0) }, uniquingKeysWith: { first, _ in first }
    )

    /// The table entry for a matched endpoint (`context.endpointPath`), or nil for an unknown path.
    public static func route(method: HTTPRequest.Method, endpointPath: String?) -> APIRoute? {
        guard let endpointPath else { return nil }
        return byKey[key(method: method, path: endpointPath)]
    }

    static func entry(_ method: HTTPRequest.Method, _ path: String) -> APIRoute {
        guard let route = all.first(where: { $0.method == method && $0.path == path }) else {
            preconditionFailure("\(method) \(path) is not in RouteTable.all")
        }
        return route
    }

    private static func key(method: HTTPRequest.Method, path: String) -> String { "\(method.rawValue) \(path)" }
}

extension Router where Context == VigilRequestContext {
    /// Registers `handler` for a route of the table.
    @discardableResult
    func on(_ route: APIRoute, use handler: @escaping @Sendable (Request, VigilRequestContext) async throws -> Response) -> Self {
        on(RouterPath(route.path), method: route.method, use: handler)
    }
}
