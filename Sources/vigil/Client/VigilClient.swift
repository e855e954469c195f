import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import VigilAgent
import VigilCore

/// The CLI's HTTP client: sends the bearer token, turns Databricks error bodies into readable failures.
struct VigilClient {
    /// The process's client for `caCertificate` (see `ClientHTTP`), its setup failures as CLI failures.
    static func httpClient(trusting caCertificate: String?) throws -> HTTPClient {
        do { return try ClientHTTP.shared(trusting: caCertificate) } catch { throw CLIFailure(error.message) }
    }

    static func tlsConfiguration(trusting caCertificate: String?) throws -> TLSConfiguration? {
        do { return try ClientHTTP.tlsConfiguration(trusting: caCertificate) } catch { throw CLIFailure(error.message) }
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
        CLIFailure(ConnectionFailure.refusal(status: reply.status, body: reply.body))
    }
}
