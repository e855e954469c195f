import Hummingbird
import NIOCore
import VigilAccess
import VigilStore

/// Per-request state: who is calling (set by authentication), from where, under which request id, and
/// the audit note handlers fill in for the self-audit record.
public struct VigilRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer address (no proxy headers are trusted).
    public let remoteIP: String?
    public var principal: Principal?
    /// What the principal may do (set with `principal` by the middleware).
    public var access: Access?
    /// The browser session that authenticated the request, when a session cookie did (forms check its CSRF token).
    public var session: BrowserSession?
    public var requestID: String
    public let auditNote: AuditNote

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteIP = source.channel.remoteAddress?.ipAddress
        principal = nil
        access = nil
        session = nil
        requestID = ""
        auditNote = AuditNote()
    }

    /// Ingest bodies may be up to the configured limit; handlers collect with their own bound and this
    /// only caps what the framework would collect implicitly.
    public var maxUploadSize: Int { 64 << 20 }

    /// The authenticated principal. Routes run behind the authentication middleware, so a missing
    /// principal here is a programming error reported as 401, never a crash.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated }
        return principal
    }

    public func requireAccess() throws -> Access {
        guard let access else { throw APIError.unauthenticated }
        return access
    }
}
