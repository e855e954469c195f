import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import VigilCore

/// One AWS JSON-protocol endpoint (CloudWatch Logs speaks JSON 1.1, CloudWatch metrics JSON 1.0): every call is a
/// signed POST to `/` naming its operation in `X-Amz-Target` (reference interop-formats.md §3).
struct AWSJSONClient: Sendable {
    /// `https://logs.us-east-1.amazonaws.com`, or a custom one (moto), without a trailing slash.
    let endpoint: String
    let signer: SigV4
    /// `Logs_20140328`, `GraniteServiceVersion20100801`.
    let targetPrefix: String
    /// `application/x-amz-json-1.1` or `…-1.0`.
    let contentType: String
    /// Extra headers every call carries (`x-amzn-query-mode` for CloudWatch metrics).
    var extraHeaders: [(String, String)] = []
    /// What errors call the service: `CloudWatch Logs`.
    let what: String
    let client: HTTPClient

    /// The operation's status and body text (at most 1 MiB read). A service that does not answer is an error.
    func call(_ operation: String, body: [UInt8]) async throws -> (status: Int, text: String) {
        guard let components = URLComponents(string: endpoint), let host = components.host else {
            throw VigilError(.invalidParameter, "\(what) endpoint \(endpoint) is not a URL")
        }
        let hostHeader = host + (components.port.map { ":\($0)" } ?? "")
        let payloadHash = Hex.encode(SHA256.hash(data: body))
        var headers = [("Host", hostHeader), ("Content-Type", contentType), ("X-Amz-Target", "\(targetPrefix).\(operation)")] + extraHeaders
        headers += signer.sign(method: "POST", path: "/", query: [], headers: headers, payloadHash: payloadHash, date: Date())
        var request = HTTPClientRequest(url: endpoint + "/")
        request.method = .POST
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do { response = try await client.execute(request, timeout: .seconds(30)) } catch {
            throw VigilError(.unavailable, "\(what) \(operation): \(host) did not answer: \(type(of: error))")
        }
        var collected = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), collected.readString(length: collected.readableBytes) ?? "")
    }

    /// `__type` without its namespace, and the message.
    static func errorType(_ text: String) -> String {
        guard let value = try? JSONParser.parse(Array(text.utf8)), case .string(let type)? = value["__type"] else { return String(text.prefix(200)) }
        let name = type.split(separator: "#").last.map { String($0.split(separator: ":").first ?? "") } ?? type
        if case .string(let message)? = value["message"] ?? value["Message"] { return "\(name): \(message)" }
        return name
    }
}
