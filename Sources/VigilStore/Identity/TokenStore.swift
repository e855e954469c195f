import Crypto
import Foundation
import GRDB
import Synchronization
import VigilCore

/// A principal as authentication sees it.
public struct Principal: Sendable, Equatable {
    public let id: Int64
    public let userName: String
    public let kind: String

    public init(id: Int64, userName: String, kind: String) {
        self.id = id
        self.userName = userName
        self.kind = kind
    }
}

/// Token metadata in the Databricks `TokenInfo` shape (times in epoch ms, `expiry_time` -1 = never).
public struct TokenInfo: Sendable, Equatable {
    public let tokenID: String
    public let comment: String?
    public let creationTime: Int64
    public let expiryTime: Int64
    public let ownerUserName: String
}

/// API tokens: created at random, stored only as SHA-256 hashes, looked up by hash.
///
/// A token is `dapi` + 32 hex characters (128 bits from the system CSPRNG), the Databricks look, so tools
/// that recognise PATs treat it as one. Hashing a 128-bit random secret needs no salt or slow KDF: there is
/// nothing to brute-force.
public struct TokenStore: Sendable {
    public let database: VigilDatabase
    public let clock: any WallClock

    /// Days tokens were last marked used by this store (one store serves the whole process).
    let usage = TokenUsage()

    public init(database: VigilDatabase, clock: any WallClock = SystemWallClock()) {
        self.database = database
        self.clock = clock
    }

    public static func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Array(token.utf8)))
    }

    public static func generateToken() -> Secret {
        Secret("dapi" + RandomID.hex(byteCount: 16))
    }

    /// The principal owning `token`, when the token exists, is not revoked and has not expired.
    /// The stored hash is compared in constant time after the indexed lookup.
    public func authenticate(_ token: Secret) async throws -> (Principal, tokenID: String)? {
        let presented = Self.hash(token.revealedValue)
        let now = clock.nowMillis()
        return try await database.pool.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT t.token_id, t.token_hash, t.expiry_time, p.id, p.user_name, p.kind
                FROM tokens t JOIN principals p ON p.id = t.principal_id
                WHERE t.token_hash = ? AND t.revoked_time IS NULL AND p.active = 1
                """, arguments: [presented])
            guard let row else { return nil }
            let stored: Data = row["token_hash"]
            guard Self.constantTimeEquals(stored, presented) else { return nil }
            let expiry: Int64 = row["expiry_time"]
            if expiry >= 0, expiry <= now { return nil }
            return (Principal(id: row["id"], userName: row["user_name"], kind: row["kind"]), row["token_id"])
        }
    }

    /// Records that `tokenID` was used today (`last_used_day`, UTC). At most one write per token per day: the
    /// day is cached in memory and the row only touched when it changes.
    public func markUsed(_ tokenID: String) async throws {
        let day = String(Timestamp.formatRFC3339(millis: clock.nowMillis()).prefix(10))
        if usage.lastDay(tokenID) == day { return }
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE tokens SET last_used_day = ? WHERE token_id = ? AND (last_used_day IS NULL OR last_used_day <> ?)",
                           arguments: [day, tokenID, day])
        }
        usage.record(tokenID, day: day)
    }

    /// Creates a token for `principal`. `lifetimeSeconds` nil means it never expires (the API refuses ≤ 0).
    public func create(for principal: Principal, comment: String?, lifetimeSeconds: Int64?) async throws -> (Secret, TokenInfo) {
        let secret = Self.generateToken()
        let info = try await insert(secret, for: principal, comment: comment, lifetimeSeconds: lifetimeSeconds)
        return (secret, info)
    }

    /// Stores a token whose secret was chosen elsewhere (`VIGIL_ADMIN_TOKEN`). Idempotent.
    @discardableResult
    public func insert(_ secret: Secret, for principal: Principal, comment: String?, lifetimeSeconds: Int64?) async throws -> TokenInfo {
        let now = clock.nowMillis()
        let expiry: Int64 = if let lifetimeSeconds, lifetimeSeconds > 0 { now + lifetimeSeconds * 1000 } else { -1 }
        let tokenID = RandomID.hex(byteCount: 16)
        let hash = Self.hash(secret.revealedValue)
        return try await database.pool.write { db in
            if let existing = try Row.fetchOne(db, sql: "SELECT token_id, comment, creation_time, expiry_time FROM tokens WHERE token_hash = ?", arguments: [hash]) {
                return TokenInfo(tokenID: existing["token_id"], comment: existing["comment"], creationTime: existing["creation_time"],
                                 expiryTime: existing["expiry_time"], ownerUserName: principal.userName)
            }
            try db.execute(sql: """
                INSERT INTO tokens(token_id, principal_id, token_hash, comment, creation_time, expiry_time)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [tokenID, principal.id, hash, comment, now, expiry])
            return TokenInfo(tokenID: tokenID, comment: comment, creationTime: now, expiryTime: expiry, ownerUserName: principal.userName)
        }
    }

    /// Live (unrevoked) tokens of `principal`, oldest first.
    public func list(for principal: Principal) async throws -> [TokenInfo] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT token_id, comment, creation_time, expiry_time FROM tokens
                WHERE principal_id = ? AND revoked_time IS NULL ORDER BY creation_time, token_id
                """, arguments: [principal.id]).map {
                TokenInfo(tokenID: $0["token_id"], comment: $0["comment"], creationTime: $0["creation_time"],
                          expiryTime: $0["expiry_time"], ownerUserName: principal.userName)
            }
        }
    }

    /// Revokes `tokenID` of `principal`. Returns false when there is no such live token.
    public func revoke(tokenID: String, of principal: Principal) async throws -> Bool {
        let now = clock.nowMillis()
        return try await database.pool.write { db in
            try db.execute(sql: "UPDATE tokens SET revoked_time = ? WHERE token_id = ? AND principal_id = ? AND revoked_time IS NULL",
                           arguments: [now, tokenID, principal.id])
            return db.changesCount == 1
        }
    }

    static func constantTimeEquals(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }
}

/// The day each token was last marked used in this process, so that marking costs a write once a day.
final class TokenUsage: Sendable {
    private let days = Mutex<[String: String]>([:])

    func lastDay(_ tokenID: String) -> String? { days.withLock { $0[tokenID] } }

    func record(_ tokenID: String, day: String) {
        days.withLock { days in
            if days.count > 100_000 { days.removeAll() }
            days[tokenID] = day
        }
    }
}
