import Foundation
import Hummingbird
import Logging
import VigilCore
import VigilAccess
import VigilStore

/// The one gate every request passes: assigns the request id, authenticates the bearer token, maps any
/// error to the Databricks error body, and writes the request's self-audit record **before** the response
/// leaves. If that record cannot be written the client gets 503 instead of the response (fail-closed).
///
/// Only the routes marked `.open` (`/health`, `/.well-known/databricks-config`) skip authentication and
/// auditing: they reveal nothing and are polled by load balancers and SDKs. The `.signIn` routes (`/login`) take
/// their credential in the body: they are audited, and rate-limited per address like every request without a valid
/// token. Browser pages (`session` routes) also take the session cookie, and a GET without credentials is sent to
/// `/login`.
struct AuditedRequestMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext

    let authenticator: RequestAuthenticator
    let resolver: AccessResolver
    let recorder: SelfAuditRecorder
    let metrics: VigilMetrics
    let logger: Logger
    /// Rate limit for requests without a valid token, per client address.
    let gate: UnauthenticatedGate

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        context.requestID = Self.requestID(from: request)
        let route = RouteTable.route(method: request.method, endpointPath: context.endpointPath)
        var response: Response
        var errorMessage: String?
        var service = route?.service ?? "vigil"
        /// The status the audit record carries when the response says something else (a browser sent to sign in).
        var recordedStatus: Int?
        var action = route?.action ?? "unknownEndpoint"

        if route?.requirement == .open {
            if case .limited(let retryAfter) = gate.admit(context.remoteIP) {
                metrics.unauthenticatedLimited.increment()
                response = Self.limited(retryAfter)
            } else {
                response = await respond(request, context, next).0
            }
        } else if let route, route.acceptsSession, request.method == .get,
                  !RequestAuthenticator.hasCredential(request.headers, acceptsSession: true) {
            // A browser without a session: to the sign-in page, which comes back here.
            if case .limited(let retryAfter) = gate.admit(context.remoteIP) {
                metrics.unauthenticatedLimited.increment()
                response = Self.limited(retryAfter)
            } else {
                response = LoginController.redirectToLogin(path: request.uri.path, query: request.uri.query)
            }
        } else if route?.requirement == .signIn {
            if case .limited(let retryAfter) = gate.admit(context.remoteIP) {
                metrics.unauthenticatedLimited.increment()
                response = Self.limited(retryAfter)
                context.auditNote.isRecorded = true
            } else {
                (response, errorMessage) = await respond(request, context, next)
            }
            if !context.auditNote.isRecorded {
                try? await recordOrRefuse(request, context, &response, service: service, action: action, userName: context.auditNote.userName,
                                         errorMessage: errorMessage)
            }
        } else {
            do {
                let authenticated = try await authenticator.authenticate(request.headers, acceptsSession: route?.acceptsSession ?? false)
                let principal = authenticated.principal
                context.principal = principal
                context.session = authenticated.session
                // Which app a per-app request was about, whatever its outcome.
                if let name = context.parameters.get("name"), AppName.isValid(name) { context.auditNote.set("name", name) }
                let access = try await resolver.access(for: principal)
                context.access = access
                // The one authorization decision: the route's requirement against what the caller holds (per-app
                // requirements are about the app the path names). A denied request is answered 403 and audited
                // like any other.
                let object = context.parameters.get("name") ?? context.parameters.get("cluster_id") ?? context.parameters.get("job_id")
                if let route, !access.allows(route.requirement, object: object) {
                    if let key = route.bodyParam { await Self.noteBody(request, key: key, in: context) }
                    (response, errorMessage) = APIError.response(
                        for: VigilError(.permissionDenied, Self.denial(route.requirement, principal: principal, object: object)),
                        requestID: context.requestID)
                } else {
                    (response, errorMessage) = await respond(request, context, next)
                }
            } catch {
                // Authentication outcomes are recorded as Databricks does: accounts/tokenLogin.
                service = "accounts"
                action = "tokenLogin"
                let bySession = request.headers[.authorization] == nil && route?.acceptsSession == true
                context.auditNote.set("authenticationMethod", bySession ? "BROWSER_SESSION" : "API_INT_PAT_TOKEN")
                (response, errorMessage) = APIError.response(for: error, requestID: context.requestID)
                if response.status == .unauthorized {
                    metrics.authFailures.increment()
                    if bySession, request.method == .get {
                        // A browser whose session ended (signed out elsewhere, expired, its token revoked): to sign in
                        // again. The record below still says 401.
                        response = LoginController.redirectToLogin(path: request.uri.path, query: request.uri.query)
                        response.headers[.setCookie] = "\(RequestAuthenticator.sessionCookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
                        recordedStatus = 401
                    } else {
                        response.headers[.wwwAuthenticate] = "Bearer"
                    }
                    if case .limited(let retryAfter) = gate.admit(context.remoteIP) {
                        // Past the address's rate: refused without a record of its own; the gate's summary counts it.
                        metrics.unauthenticatedLimited.increment()
                        response = Self.limited(retryAfter)
                        context.auditNote.isRecorded = true
                    }
                }
            }
            if route == nil { context.auditNote.set("path", String(request.uri.path.prefix(512))) }
            // A handler may have written this request's record in the same transaction as its data (ingest).
            if let route, route.path.hasPrefix(RouteTable.scim), response.status.code >= 400, let message = errorMessage {
                response = APIError.scimErrorResponse(response.status, message: message, headers: response.headers)
            }
            if let override = context.auditNote.action {
                service = override.service
                action = override.action
            }
            if !context.auditNote.isRecorded {
                try? await recordOrRefuse(request, context, &response, service: service, action: action,
                                         userName: context.principal?.userName, errorMessage: errorMessage, status: recordedStatus)
            }
        }
        response.headers[.init("X-Request-Id")!] = context.requestID
        let routeLabel = route?.path ?? "unmatched"
        metrics.requestDuration(method: request.method.rawValue, route: routeLabel).record(ContinuousClock.now - started)
        metrics.requestCounter(method: request.method.rawValue, route: routeLabel, code: Int(response.status.code)).increment()
        return response
    }

    /// Writes the request's audit record; when it cannot be written the response becomes a 503 (fail-closed).
    private func recordOrRefuse(_ request: Request, _ context: Context, _ response: inout Response, service: String, action: String,
                                userName: String?, errorMessage: String?, status: Int? = nil) async throws {
        do {
            try await recorder.record(.init(
                service: service, action: action, userName: userName, sourceIP: context.remoteIP,
                userAgent: request.headers[.userAgent], requestID: context.requestID,
                statusCode: status ?? Int(response.status.code), errorMessage: errorMessage,
                requestParams: context.auditNote.requestParams
            ))
        } catch {
            metrics.selfAuditFailures.increment()
            logger.error("Request refused: its audit record could not be written", metadata: [
                "request_id": "\(context.requestID)", "error": "\(error)",
            ])
            response = APIError.errorResponse(
                .serviceUnavailable, "TEMPORARILY_UNAVAILABLE",
                "the request could not be audited, so it was not served; retry later (request id \(context.requestID))",
                headers: [.retryAfter: "1"])
        }
    }

    /// Records a refused request's JSON body (compact) under `key`, as its handler would have; a body too large or
    /// not JSON is left out.
    static func noteBody(_ request: Request, key: String, in context: Context) async {
        guard let bytes = try? await RequestBody.collect(request, limit: AppsController.maxBodyBytes),
              let value = try? JSONParser.parse(bytes, rejectsDuplicateKeys: true)
        else { return }
        context.auditNote.set(key, JSONWriter.text(of: value))
    }

    static func limited(_ retryAfter: Int) -> Response {
        APIError.errorResponse(
            .tooManyRequests, "RESOURCE_EXHAUSTED", "too many requests without a valid token from this address; retry in \(retryAfter) s",
            headers: [.retryAfter: String(retryAfter)])
    }

    private func respond(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response) async -> (Response, String?) {
        do {
            return (try await next(request, context), nil)
        } catch {
            let (response, message) = APIError.response(for: error, requestID: context.requestID)
            if response.status == .internalServerError {
                logger.error("Unhandled error", metadata: ["request_id": "\(context.requestID)", "error": "\(error)"])
            }
            return (response, message)
        }
    }

    static func denial(_ requirement: Requirement, principal: Principal, object: String? = nil) -> String {
        let app = "apps/\(object?.prefix(64) ?? "")"
        let need: String =
            switch requirement {
            case .readAuditLog: "CAN_VIEW on audit-logs (all or a workspace)"
            case .readWholeAuditLog, .readIdentities: "CAN_VIEW on audit-logs/all"
            case .ingest: "CAN_USE on audit-logs/all"
            case .administer: "membership of the admins group"
            case .createTokens: "CAN_USE on authorization/tokens"
            case .open, .authenticated, .signIn: "a valid token"
            case .useApp: "CAN_USE on \(app)"
            case .shipAppLogs: "CAN_USE on \(app) or on audit-logs/all"
            case .manageApp: "CAN_MANAGE on \(app)"
            case .viewAppPermissions: "CAN_MANAGE on \(app) or CAN_VIEW on audit-logs/all"
            case .createClusters: "membership of the admins group or CAN_USE on audit-logs/all"
            case .manageCluster: "CAN_MANAGE on clusters/\(object?.prefix(64) ?? "")"
            case .viewClusterPermissions: "CAN_MANAGE on clusters/\(object?.prefix(64) ?? "") or CAN_VIEW on audit-logs/all"
            case .manageJob: "CAN_MANAGE on jobs/\(object?.prefix(64) ?? "")"
            case .viewJobPermissions: "CAN_MANAGE on jobs/\(object?.prefix(64) ?? "") or CAN_VIEW on audit-logs/all"
            }
        return "\(principal.userName) does not have permission for this request; it needs \(need)"
    }

    /// A client's `X-Request-Id` is kept when it is short and plain (it helps correlate logs); otherwise
    /// Vigil makes one.
    static func requestID(from request: Request) -> String {
        if let given = request.headers[.init("X-Request-Id")!], (1...64).contains(given.utf8.count),
           given.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
               || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }) {
            return given
        }
        return RandomID.hex()
    }
}

