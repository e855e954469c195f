import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import VigilCore

/// The CLI's HTTP client: sends the bearer token, turns Databricks error bodies into readable failures.
struct VigilClient {
    /// One client for the process. Connection refusals fail at once instead of being retried until the
    /// request deadline (AsyncHTTPClient's default), so an unreachable server is reported in milliseconds.
    /// With `--ca-cert`, the server's certificate must chain to that CA (a private CA or a self-signed
    /// certificate); otherwise the system's trust store decides.
    static func httpClient(trusting caCertificate: String?) throws -> HTTPClient {
        // Clients are kept for the life of the process: AsyncHTTPClient traps when one is released unshut.
        try clients.withLock { clients in
            if let client = clients[caCertificate ?? ""] { return client }
            let client = try makeHTTPClient(trusting: caCertificate)
            clients[caCertificate ?? ""] = client
            return client
        }
    }

    private static let clients = Mutex<[String: HTTPClient]>([:])

    private static func makeHTTPClient(trusting caCertificate: String?) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.tlsConfiguration = try tlsConfiguration(trusting: caCertificate)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// TLS 1.2+ trusting `caCertificate` (a PEM file) when given, else the system's roots; nil when there is no file.
    static func tlsConfiguration(trusting caCertificate: String?) throws -> TLSConfiguration? {
        guard let caCertificate else { return nil }
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(caCertificate)
        } catch {
            throw CLIFailure("cannot read the CA certificate \(caCertificate): not a readable PEM file")
        }
        guard !roots.isEmpty else { throw CLIFailure("the CA certificate file \(caCertificate) holds no PEM certificate") }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(roots)
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    let baseURL: String
    let token: String
    let http: HTTPClient

    init(_ options: ConnectionOptions) throws {
        (baseURL, token) = try options.resolve()
        http = try Self.httpClient(trusting: options.caCertificate)
    }

    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        func json() throws -> JSONValue {
            do { return try JSONParser.parse(body) } catch {
                throw CLIFailure("the server answered something that is not JSON (HTTP \(status))")
            }
        }
    }

    func send(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil,
              contentType: String = "application/json") async throws -> Reply {
        var url = baseURL + path
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            // `+` would be read as a literal plus by Vigil; encode it so emails like a+b@x.com survive.
            url += "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "User-Agent", value: "vigil-cli/0.1")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(300))
            let buffer = try await response.body.collect(upTo: 512 << 20)
            return Reply(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
        } catch {
            throw CLIFailure(ConnectionFailure.describe(error, baseURL: baseURL))
        }
    }

    /// Sends and requires a 2xx; otherwise fails with the server's `error_code: message`.
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], body: [UInt8]? = nil) async throws -> JSONValue {
        let reply = try await send(method, path, query: query, body: body)
        guard (200..<300).contains(reply.status) else { throw Self.failure(for: reply) }
        return try reply.json()
    }

    static func failure(for reply: Reply) -> CLIFailure {
        if let value = try? JSONParser.parse(reply.body), case .string(let message)? = value["message"] {
            let code: String = if case .string(let text)? = value["error_code"] { text } else { "HTTP \(reply.status)" }
            return CLIFailure("\(code) (HTTP \(reply.status)): \(TerminalText.escape(message))")
        }
        return CLIFailure("HTTP \(reply.status)")
    }
}
