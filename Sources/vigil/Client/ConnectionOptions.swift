import ArgumentParser
import Foundation

/// Where the client commands connect: `--host`/`--token`, else `VIGIL_HOST`/`VIGIL_TOKEN`, else
/// `DATABRICKS_HOST`/`DATABRICKS_TOKEN`; the token finally falls back to `./vigil-data/admin-token`.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("host"), help: "Server URL, e.g. http://127.0.0.1:8080 (env VIGIL_HOST or DATABRICKS_HOST).")
    var host: String?

    @Option(name: .customLong("token"), help: "API token (env VIGIL_TOKEN or DATABRICKS_TOKEN). Prefer the environment: arguments are visible in ps.")
    var token: String?

    @Option(name: .customLong("ca-cert"), help: "PEM CA certificate to trust for an https:// host, e.g. a self-signed server's (env VIGIL_CA_CERT).")
    var caCertificateOption: String?

    var caCertificate: String? { caCertificateOption ?? ProcessInfo.processInfo.environment["VIGIL_CA_CERT"] }

    func resolve() throws -> (baseURL: String, token: String) {
        let environment = ProcessInfo.processInfo.environment
        let base = try Self.baseURL(host ?? environment["VIGIL_HOST"] ?? environment["DATABRICKS_HOST"] ?? "http://127.0.0.1:8080")
        let fromFile = (try? String(contentsOfFile: "./vigil-data/admin-token", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let token = token ?? environment["VIGIL_TOKEN"] ?? environment["DATABRICKS_TOKEN"] ?? fromFile, !token.isEmpty else {
            throw CLIFailure(
                "no token: pass --token or set VIGIL_TOKEN (the admin token is in <data-dir>/admin-token)", exitCode: 2)
        }
        return (base, token)
    }

    /// The server's base URL. A host given without a scheme is taken as http:// when it is this machine
    /// (`127.0.0.1:8080`, `localhost:8080`) and refused otherwise: guessing https for a remote host and http for a
    /// local one is what a user means, and a wrong guess for a remote host would send the token in clear.
    static func baseURL(_ given: String) throws -> String {
        var base = given.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        if !base.contains("://") {
            guard Self.isLoopback(URL(string: "http://" + base)?.host) else {
                throw CLIFailure("--host \(given) has no scheme; write it as https://\(base) (or http:// for a plain-HTTP server)", exitCode: 2)
            }
            base = "http://" + base
        }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw CLIFailure("--host must be a URL such as http://127.0.0.1:8080 or https://vigil.example.com, got \(given)", exitCode: 2)
        }
        return base
    }

    /// `localhost`, `::1` or an IPv4 address in 127.0.0.0/8 (four numbers, so `127.example.com` is not one).
    static func isLoopback(_ host: String?) -> Bool {
        guard let host = host?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")) else { return false }
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in UInt8(part) != nil }
    }
}
