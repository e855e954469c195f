import Foundation
import Hummingbird
import VigilCore
import VigilStore

/// Who is calling: a bearer token (every route), or a browser session cookie (routes marked `session`). Shared by
/// the request middleware and the live-tail WebSocket, which authenticates its upgrade request itself.
struct RequestAuthenticator: Sendable {
    let tokens: TokenStore
    let sessions: SessionStore

    /// The session cookie's name. `HttpOnly` and `SameSite=Strict` always, `Secure` over TLS.
    static let sessionCookie = "vigil_session"

    struct Authenticated: Sendable {
        var principal: Principal
        /// Set when the browser session authenticated the request (forms then need its CSRF token).
        var session: BrowserSession?
    }

    /// Whether the request carries any credential this route could take.
    static func hasCredential(_ headers: HTTPFields, acceptsSession: Bool) -> Bool {
        headers[.authorization] != nil || (acceptsSession && cookie(sessionCookie, in: headers) != nil)
    }

    func authenticate(_ headers: HTTPFields, acceptsSession: Bool) async throws -> Authenticated {
        if let header = headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthenticated }
            let token = Secret(parts[1].trimmingCharacters(in: .whitespaces))
            guard let (principal, tokenID) = try await tokens.authenticate(token) else {
                throw VigilError(.unauthenticated, "Invalid access token (unknown, expired or revoked)")
            }
            try await tokens.markUsed(tokenID)
            return Authenticated(principal: principal)
        }
        if acceptsSession, let value = Self.cookie(Self.sessionCookie, in: headers) {
            guard let session = try await sessions.authenticate(Secret(value)) else {
                throw VigilError(.unauthenticated, "the browser session has ended (signed out, expired, or its token revoked); sign in again at /login")
            }
            try await tokens.markUsed(session.tokenID)
            return Authenticated(principal: session.principal, session: session)
        }
        throw APIError.unauthenticated
    }

    /// A cookie's value from the `Cookie` headers (`a=1; b=2`), the first of that name.
    static func cookie(_ name: String, in headers: HTTPFields) -> String? {
        for header in headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}
