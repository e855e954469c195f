import Foundation
import VigilCore
import VigilAccess
import VigilStore

/// First-start set-up: the `admin` user and its token.
///
/// A generated token is written to `<data-dir>/admin-token` (mode 0600, created exclusively so an
/// existing file is never overwritten) and returned so `vigil serve` can print it once. A token given in
/// `VIGIL_ADMIN_TOKEN` is stored (hashed) and neither written nor printed.
enum AdminBootstrap {
    struct Outcome {
        /// Set only when a token was generated now (to be shown once).
        var generatedToken: Secret?
        var tokenFile: String
    }

    static func run(database: VigilDatabase, configuration: VigilConfiguration, clock: any WallClock) async throws -> Outcome {
        let principals = PrincipalStore(database: database, clock: clock)
        let tokens = TokenStore(database: database, clock: clock)
        let (admin, _) = try await principals.ensureAdmin()
        // The admin is a member of `admins` (which makes it one) and of `users`.
        try await Directory(database: database, clock: clock).bootstrap(admin: admin)
        let tokenFile = (configuration.dataDirectory as NSString).appendingPathComponent("admin-token")
        if let given = configuration.adminToken {
            guard given.revealedValue.utf8.count >= 16 else {
                throw VigilError(.invalidParameter, "VIGIL_ADMIN_TOKEN must be at least 16 characters")
            }
            try await tokens.insert(given, for: admin, comment: "VIGIL_ADMIN_TOKEN", lifetimeSeconds: nil)
            return Outcome(generatedToken: nil, tokenFile: tokenFile)
        }
        guard try await !principals.hasTokens(admin) else {
            return Outcome(generatedToken: nil, tokenFile: tokenFile)
        }
        let secret = TokenStore.generateToken()
        try writeSecretFile(tokenFile, contents: secret.revealedValue + "\n")
        try await tokens.insert(secret, for: admin, comment: "bootstrap admin token", lifetimeSeconds: nil)
        return Outcome(generatedToken: secret, tokenFile: tokenFile)
    }

    /// Creates `path` with mode 0600 (O_EXCL: refuses to follow or replace an existing file).
    static func writeSecretFile(_ path: String, contents: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw VigilError(.unavailable, "cannot create \(path): \(String(cString: strerror(errno))); remove it if it is stale")
        }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw VigilError(.unavailable, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
