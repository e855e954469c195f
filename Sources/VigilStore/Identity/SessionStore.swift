import Foundation
import GRDB
import VigilCore

/// A signed-in browser: the principal, the token the session was made from, and the session's CSRF token (every
/// state-changing form carries it).
public struct BrowserSession: Sendable, Equatable {
    public let principal: Principal
    public let tokenID: String
    public let csrfToken: String
    public let expiryMillis: Int64
}

/// Browser sessions made at `/login` from an API token (migration 006). The cookie value is 256 random bits, stored
/// only as its SHA-256 hash, like tokens. A session ends at its expiry, at logout, or as soon as the token it was
/// made from is revoked, expires or its owner is deactivated: it never outlives the credential that made it.
public struct SessionStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock

    /// How long a session lasts at most (never past its token's expiry).
    public static let defaultLifetimeMillis: Int64 = 12 * 3_600_000

    public init(database: VigilDatabase, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    /// Starts a session for the token `tokenID`; returns the cookie value (shown once, to the browser).
    public func create(tokenID: String, lifetimeMillis: Int64 = defaultLifetimeMillis) async throws -> (cookie: Secret, session: BrowserSession) {
        let cookie = Secret(RandomID.hex(byteCount: 32))
        let csrf = RandomID.hex(byteCount: 16)
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            let expiry: Int64 = try Int64.fetchOne(db, sql: "SELECT expiry_time FROM tokens WHERE token_id = ?", arguments: [tokenID]) ?? -1
            let end = expiry >= 0 ? min(expiry, now + lifetimeMillis) : now + lifetimeMillis
            // Old sessions go when new ones are made: the table never holds more than live sessions and a day's worth.
            try db.execute(sql: "DELETE FROM browser_sessions WHERE expiry_time < ?", arguments: [now - 86_400_000])
            try db.execute(sql: """
                INSERT INTO browser_sessions(session_hash, token_id, csrf_token, created_time, expiry_time) VALUES (?, ?, ?, ?, ?)
                """, arguments: [TokenStore.hash(cookie.revealedValue), tokenID, csrf, now, end])
            guard let session = try Self.lookup(db, hash: TokenStore.hash(cookie.revealedValue), now: now) else {
                throw VigilError(.unauthenticated, "the token cannot start a session (revoked, expired or its user deactivated)")
            }
            return (cookie, session)
        }
    }

    /// The live session of `cookie`, or nil.
    public func authenticate(_ cookie: Secret) async throws -> BrowserSession? {
        let hash = TokenStore.hash(cookie.revealedValue)
        let now = clock.nowMillis()
        return try await database.pool.read { db in try Self.lookup(db, hash: hash, now: now) }
    }

    /// Ends the session of `cookie` (logout).
    public func end(_ cookie: Secret) async throws {
        let hash = TokenStore.hash(cookie.revealedValue)
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM browser_sessions WHERE session_hash = ?", arguments: [hash])
        }
    }

    static func lookup(_ db: Database, hash: Data, now: Int64) throws -> BrowserSession? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT s.token_id, s.csrf_token, s.expiry_time, p.id, p.user_name, p.kind
            FROM browser_sessions s JOIN tokens t ON t.token_id = s.token_id JOIN principals p ON p.id = t.principal_id
            WHERE s.session_hash = ? AND s.expiry_time > ? AND t.revoked_time IS NULL AND (t.expiry_time < 0 OR t.expiry_time > ?)
              AND p.active = 1
            """, arguments: [hash, now, now])
        else { return nil }
        return BrowserSession(
            principal: Principal(id: row["id"], userName: row["user_name"], kind: row["kind"]), tokenID: row["token_id"],
            csrfToken: row["csrf_token"], expiryMillis: row["expiry_time"])
    }
}
