import HTTPTypes
import Hummingbird

/// Headers every response carries, errors and open routes included: nothing Vigil serves may be sniffed into
/// another content type, cached (tokens and audit data pass through these responses), framed, or leak its URL
/// as a referrer. Over TLS, browsers are also told to use HTTPS only (HSTS).
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext

    /// Whether this server answers over TLS: HSTS only makes sense (and is only honoured) there.
    let servesTLS: Bool

    // HTTPTypes names neither; both are valid tokens, so these are never nil.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")
    static let frameOptions = HTTPField.Name("X-Frame-Options")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.cacheControl] = "no-store"
        if let referrerPolicy = Self.referrerPolicy { response.headers[referrerPolicy] = "no-referrer" }
        if let frameOptions = Self.frameOptions { response.headers[frameOptions] = "DENY" }
        // JSON and text only: no script, style, frame or plugin may load from an API response. The browser pages set a
        // policy of their own (their inline script and style by hash, nothing else).
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        }
        if servesTLS { response.headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
        // The rest of an oversized body is not read: the connection ends with this answer (the transport closes
        // it once the response is flushed) instead of a half-closed socket the client blocks on.
        if response.status == .contentTooLarge { response.headers[.connection] = "close" }
        return response
    }
}
