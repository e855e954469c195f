import Foundation
import HTTPTypes
import Hummingbird
import VigilCore
import VigilStore

/// Browser sign-in: `/login` takes an API token and starts a session cookie (`HttpOnly`, `SameSite=Strict`, `Secure`
/// over TLS) that authenticates the browser pages (`/apps/{name}/logz` and its live stream); `/logout` ends it.
///
/// Every state-changing form carries a CSRF token: the sign-in form one from a cookie set with the form (a login
/// CSRF attack would need to read it), the sign-out form its session's. Sign-ins are audited as `accounts`/`login`.
struct LoginController {
    let tokens: TokenStore
    let sessions: SessionStore
    let servesTLS: Bool

    static let loginCSRFCookie = "vigil_login_csrf"

    func register(on router: Router<VigilRequestContext>) {
        router.on(RouteTable.entry(.get, "/login"), use: page)
        router.on(RouteTable.entry(.post, "/login"), use: signIn)
        router.on(RouteTable.entry(.post, "/logout"), use: signOut)
    }

    @Sendable func page(_ request: Request, context: VigilRequestContext) async throws -> Response {
        let query = try QueryParameters(request, allowed: ["next"])
        let next = Self.safeNext(try query.string("next"))
        if let cookie = RequestAuthenticator.cookie(RequestAuthenticator.sessionCookie, in: request.headers),
           let session = try await sessions.authenticate(Secret(cookie)) {
            return signedIn(session, next: next)
        }
        return form(next: next, message: nil, status: .ok)
    }

    @Sendable func signIn(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        let form = try await FormBody.read(request)
        let next = Self.safeNext(form["next"])
        context.auditNote.set("authenticationMethod", "BROWSER_TOKEN")
        guard let sent = form["csrf"], let expected = RequestAuthenticator.cookie(Self.loginCSRFCookie, in: request.headers),
              ConstantTime.equals(sent, expected)
        else {
            return self.form(next: next, message: "The sign-in form has expired or did not come from this server. Sign in again.", status: .forbidden)
        }
        let token = Secret((form["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        guard !token.revealedValue.isEmpty, let (principal, tokenID) = try await tokens.authenticate(token) else {
            return self.form(next: next, message: "That token is not valid: it is unknown, expired or revoked.", status: .unauthorized)
        }
        try await tokens.markUsed(tokenID)
        let (cookie, session) = try await sessions.create(tokenID: tokenID)
        context.auditNote.userName = principal.userName
        context.auditNote.set("user", principal.userName)
        var headers = HTTPFields()
        headers[.location] = next ?? "/login"
        let lifetime = max(0, (session.expiryMillis - SystemWallClock().nowMillis()) / 1000)
        headers.append(HTTPField(name: .setCookie, value: cookieHeader(RequestAuthenticator.sessionCookie, cookie.revealedValue, path: "/", maxAge: lifetime)))
        headers.append(HTTPField(name: .setCookie, value: cookieHeader(Self.loginCSRFCookie, "", path: "/login", maxAge: 0)))
        return Response(status: .seeOther, headers: headers)
    }

    @Sendable func signOut(_ request: Request, context: VigilRequestContext) async throws -> Response {
        _ = try QueryParameters(request, allowed: [])
        guard let session = context.session, let cookie = RequestAuthenticator.cookie(RequestAuthenticator.sessionCookie, in: request.headers) else {
            throw VigilError(.invalidParameter, "there is no browser session to sign out of (API tokens are revoked with /api/2.0/token/delete)")
        }
        let form = try await FormBody.read(request)
        guard let sent = form["csrf"], ConstantTime.equals(sent, session.csrfToken) else {
            throw VigilError(.permissionDenied, "the sign-out form did not carry this session's CSRF token")
        }
        try await sessions.end(Secret(cookie))
        var headers = HTTPFields()
        headers[.location] = "/login"
        headers.append(HTTPField(name: .setCookie, value: cookieHeader(RequestAuthenticator.sessionCookie, "", path: "/", maxAge: 0)))
        return Response(status: .seeOther, headers: headers)
    }

    func form(next: String?, message: String?, status: HTTPResponse.Status) -> Response {
        let csrf = RandomID.hex(byteCount: 16)
        var body = "<div class=\"box\"><h1>Sign in to Vigil</h1>"
        if let message { body += "<p class=\"error\" id=\"message\">" + HTMLText.escape(message) + "</p>" }
        body += "<form method=\"post\" action=\"/login\"><label for=\"token\">API token</label>"
        body += "<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"off\" required autofocus>"
        body += "<input type=\"hidden\" name=\"csrf\" value=\"" + csrf + "\">"
        if let next { body += "<input type=\"hidden\" name=\"next\" value=\"" + HTMLText.escape(next) + "\">" }
        body += "<button type=\"submit\">Sign in</button></form>"
        body += "<p>Use a personal access token (<code>vigil tokens create</code>). The session lasts at most 12 hours and ends when the token is revoked.</p></div>"
        var headers = HTTPFields()
        headers.append(HTTPField(name: .setCookie, value: cookieHeader(Self.loginCSRFCookie, csrf, path: "/login", maxAge: 3600)))
        return BrowserPage(title: "Sign in · Vigil", body: body).response(status: status, headers: headers)
    }

    func signedIn(_ session: BrowserSession, next: String?) -> Response {
        var body = "<div class=\"box\"><h1>Vigil</h1><p id=\"signed-in\">Signed in as <strong>" + HTMLText.escape(session.principal.userName) + "</strong>.</p>"
        if let next { body += "<p><a href=\"" + HTMLText.escape(next) + "\">Continue</a></p>" }
        body += Self.signOutForm(session)
        body += "</div>"
        return BrowserPage(title: "Vigil", body: body).response()
    }

    static func signOutForm(_ session: BrowserSession) -> String {
        "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"" + HTMLText.escape(session.csrfToken)
            + "\"><button type=\"submit\">Sign out</button></form>"
    }

    func cookieHeader(_ name: String, _ value: String, path: String, maxAge: Int64) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (servesTLS ? "; Secure" : "")
    }

    /// Where to go after signing in: only a path of this server (`/apps/x/logz?search=y`), never another site.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.utf8.count <= 2048,
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return nil }
        return next
    }

    /// A browser page asked for without credentials: to the sign-in page, which comes back.
    static func redirectToLogin(path: String, query: String?) -> Response {
        var target = path
        if let query { target += "?" + query }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        let next = safeNext(target).flatMap { $0.addingPercentEncoding(withAllowedCharacters: allowed) }
        return Response(status: .seeOther, headers: [.location: "/login" + (next.map { "?next=" + $0 } ?? "")])
    }
}
