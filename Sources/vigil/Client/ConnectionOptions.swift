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
    var caCertificate: String? = ProcessInfo.processInfo.environment["VIGIL_CA_CERT"]

    func resolve() throws -> (baseURL: String, token: String) {
        let environment = ProcessInfo.processInfo.environment
        var base = host ?? environment["VIGIL_HOST"] ?? environment["DATABRICKS_HOST"] ?? "http://127.0.0.1:8080"
        if !base.contains("://") { base = "https://" + base }
        while base.hasSuffix("/") { base.removeLast() }
        guard URL(string: base)?.host != nil else { throw ValidationError("--host must be a URL such as http://127.0.0.1:8080") }
        let fromFile = (try? String(contentsOfFile: "./vigil-data/admin-token", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard let token = token ?? environment["VIGIL_TOKEN"] ?? environment["DATABRICKS_TOKEN"] ?? fromFile, !token.isEmpty else {
            throw ValidationError("no token: pass --token or set VIGIL_TOKEN (the admin token is in <data-dir>/admin-token)")
        }
        return (base, token)
    }
}
