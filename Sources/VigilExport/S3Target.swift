import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore

/// Where an S3-compatible bucket is and how to reach it (`s3://bucket/prefix` plus the `endpoint`, `region`,
/// `addressing` and credential keys of a delivery entry).
public struct S3Location: Sendable, Equatable {
    public var bucket: String
    /// Without leading or trailing `/`; empty for the bucket's root.
    public var prefix: String
    /// `https://s3.<region>.amazonaws.com` by default; `http://127.0.0.1:5055` for moto, MinIO and the like.
    public var endpoint: String
    public var region: String
    public enum Addressing: String, Sendable { case path, virtual }
    public var addressing: Addressing

    public init(bucket: String, prefix: String, endpoint: String? = nil, region: String = "us-east-1", addressing: Addressing? = nil) {
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "https://s3.\(region).amazonaws.com"
        self.region = region
        // Virtual-hosted on AWS; path-style on a custom endpoint (a bare host or IP cannot carry the bucket's name).
        self.addressing = addressing ?? (endpoint == nil ? .virtual : .path)
    }

    /// Parses `s3://bucket[/prefix]`; the error says what is wrong.
    public static func parse(_ url: String) throws -> (bucket: String, prefix: String) {
        guard url.hasPrefix("s3://") else { throw VigilError(.invalidParameter, "\(url): want s3://bucket/prefix") }
        let rest = url.dropFirst("s3://".count)
        let bucket = String(rest.prefix { $0 != "/" })
        guard (3...63).contains(bucket.count),
              bucket.allSatisfy({ ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }) else {
            throw VigilError(.invalidParameter, "\(url): the bucket name must be 3 to 63 characters from a-z, 0-9, . and -")
        }
        return (bucket, String(rest.dropFirst(bucket.count)))
    }
}

/// An S3-compatible bucket over HTTP with Signature V4 (reference interop-formats.md §1–2). Objects up to
/// `partSize` are one PutObject; larger ones a multipart upload (aborted when any step fails), so a reader never
/// sees part of an object. Errors carry S3's code and message, never a credential.
public struct S3Target: DeliveryTarget {
    public let location: S3Location
    let signer: SigV4
    let client: HTTPClient
    /// At least 5 MiB (S3's smallest part but the last).
    public let partSize: Int
    let timeout: TimeAmount

    public init(location: S3Location, credentials: SigV4.Credentials, partSize: Int = 8 << 20, client: HTTPClient = ExportHTTP.client,
                timeout: TimeAmount = .seconds(60)) {
        self.location = location
        signer = SigV4(credentials: credentials, region: location.region, service: "s3")
        self.partSize = max(5 << 20, partSize)
        self.client = client
        self.timeout = timeout
    }

    public var displayURL: String { "s3://\(location.bucket)" + (location.prefix.isEmpty ? "" : "/\(location.prefix)") }

    func objectKey(_ key: String) -> String { location.prefix.isEmpty ? key : location.prefix + "/" + key }

    public func put(_ key: String, bytes: [UInt8]) async throws {
        let object = objectKey(key)
        guard bytes.count > partSize else {
            _ = try await send("PUT", object: object, body: bytes, what: "PUT \(key)")
            return
        }
        let created = try await send("POST", object: object, query: [("uploads", "")], what: "CreateMultipartUpload \(key)")
        guard let uploadID = XMLText.first("UploadId", in: created.body) else {
            throw VigilError(.unavailable, "S3 CreateMultipartUpload \(key): no UploadId in the answer")
        }
        do {
            var parts: [(Int, String)] = []
            var offset = 0
            while offset < bytes.count {
                let number = parts.count + 1
                let end = min(bytes.count, offset + partSize)
                let reply = try await send("PUT", object: object, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                                           body: Array(bytes[offset..<end]), what: "UploadPart \(number) of \(key)")
                guard let etag = reply.headers.first(name: "ETag") else { throw VigilError(.unavailable, "S3 UploadPart \(number) of \(key): no ETag") }
                parts.append((number, etag))
                offset = end
            }
            let list = parts.map { "<Part><PartNumber>\($0.0)</PartNumber><ETag>\(XMLText.escape($0.1))</ETag></Part>" }.joined()
            let body = Array(#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\#(list)</CompleteMultipartUpload>"#.utf8)
            let completed = try await send("POST", object: object, query: [("uploadId", uploadID)], body: body, what: "CompleteMultipartUpload \(key)")
            // S3 may answer 200 and still carry an <Error> (it keeps the connection alive while it works).
            if let code = XMLText.first("Code", in: completed.body), completed.body.contains("<Error>") {
                throw VigilError(.unavailable, "S3 CompleteMultipartUpload \(key): \(code): \(XMLText.first("Message", in: completed.body) ?? "")")
            }
        } catch {
            _ = try? await send("DELETE", object: object, query: [("uploadId", uploadID)], what: "AbortMultipartUpload \(key)")
            throw error
        }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        let reply = try await send("GET", object: objectKey(key), what: "GET \(key)", allowNotFound: true)
        return reply.status == 404 ? nil : reply.bytes
    }

    public func list() async throws -> [String] {
        let prefix = location.prefix.isEmpty ? "" : location.prefix + "/"
        var keys: [String] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("encoding-type", "url"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let reply = try await send("GET", object: nil, query: query, what: "ListObjectsV2 \(displayURL)")
            for encoded in XMLText.all("Key", in: reply.body) {
                let key = encoded.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? encoded
                if key.hasPrefix(prefix) { keys.append(String(key.dropFirst(prefix.count))) }
            }
            token = XMLText.first("IsTruncated", in: reply.body) == "true" ? XMLText.first("NextContinuationToken", in: reply.body) : nil
        } while token != nil
        return keys.sorted()
    }

    /// The URL, the `Host` and the path to sign for an object (nil: the bucket), path-style or virtual-hosted. The
    /// URL's path and query are encoded exactly as the canonical request encodes them.
    func address(object: String?, query: [(String, String)]) throws -> (url: String, host: String, path: String) {
        guard let endpoint = URLComponents(string: location.endpoint), let scheme = endpoint.scheme, let endpointHost = endpoint.host else {
            throw VigilError(.invalidParameter, "S3 endpoint \(location.endpoint) is not a URL")
        }
        let port = endpoint.port.map { ":\($0)" } ?? ""
        let host: String
        let path: String
        switch location.addressing {
        case .path:
            host = endpointHost + port
            path = "/" + location.bucket + (object.map { "/" + $0 } ?? "")
        case .virtual:
            host = location.bucket + "." + endpointHost + port
            path = "/" + (object ?? "")
        }
        let queryText = query.map { URIEncoding.encode($0.0, slash: true) + "=" + URIEncoding.encode($0.1, slash: true) }.joined(separator: "&")
        return ("\(scheme)://\(host)\(URIEncoding.encode(path, slash: false))\(queryText.isEmpty ? "" : "?" + queryText)", host, path)
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var bytes: [UInt8]
        var body: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// One signed request. `object` nil addresses the bucket.
    func send(_ method: String, object: String?, query: [(String, String)] = [], body: [UInt8] = [], what: String,
              allowNotFound: Bool = false) async throws -> Reply {
        let (url, host, path) = try address(object: object, query: query)
        let payloadHash = Hex.encode(SHA256.hash(data: body))
        var headers: [(String, String)] = [("Host", host), ("x-amz-content-sha256", payloadHash)]
        if !body.isEmpty || method == "PUT" || method == "POST" { headers.append(("Content-Length", String(body.count))) }
        headers += signer.sign(method: method, path: path, query: query, headers: headers, payloadHash: payloadHash, date: Date())
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers where name != "Content-Length" { request.headers.replaceOrAdd(name: name, value: value) }
        request.headers.replaceOrAdd(name: "User-Agent", value: "Vigil")
        if !body.isEmpty || method == "PUT" || method == "POST" { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw VigilError(.unavailable, "S3 \(what): \(location.endpoint) did not answer: \(type(of: error))")
        }
        var collected = try await response.body.collect(upTo: 1 << 30)
        let bytes = collected.readBytes(length: collected.readableBytes) ?? []
        let status = Int(response.status.code)
        if (200..<300).contains(status) || (allowNotFound && status == 404) {
            return Reply(status: status, headers: response.headers, bytes: bytes)
        }
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        let code = XMLText.first("Code", in: text) ?? "HTTP \(status)"
        let message = XMLText.first("Message", in: text).map { ": \($0)" } ?? ""
        throw VigilError(.unavailable, "S3 \(what): HTTP \(status) \(code)\(message)")
    }
}

/// The few elements Vigil reads from S3's XML answers, found by name (S3's documents are flat where it matters).
enum XMLText {
    static func all(_ tag: String, in text: String) -> [String] {
        var values: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(tag)>"), let close = rest[open.upperBound...].range(of: "</\(tag)>") {
            values.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return values
    }

    static func first(_ tag: String, in text: String) -> String? { all(tag, in: text).first }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
