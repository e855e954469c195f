import Crypto
import Foundation
import VigilCore

/// AWS Signature Version 4 (reference interop-formats.md §1): the canonical request, the string to sign, the
/// signing key and the `Authorization` header. Pure, and checked against AWS's own test vectors.
public struct SigV4: Sendable {
    public struct Credentials: Sendable, Equatable, CustomStringConvertible {
        /// The key id only: a printed configuration never shows the secret or the token.
        public var description: String { "Credentials(\(accessKeyID), secret redacted)" }

        public var accessKeyID: String
        public var secretAccessKey: String
        public var sessionToken: String?

        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Headers never signed (botocore's list): proxies and the transport may change them.
    static let unsigned: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
        "user-agent", "x-amzn-trace-id", "authorization",
    ]

    /// Signs a request: returns the headers to add (`x-amz-date`, the session token if any, `Authorization`).
    /// `path` is the raw path (it is URI-encoded here, once, as S3 wants: no normalisation); `query` the decoded
    /// name/value pairs; `headers` every header to send, `host` included; `payloadHash` the body's hex SHA-256 (or
    /// `UNSIGNED-PAYLOAD`).
    public func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String,
                     date: Date) -> [(String, String)] {
        let amzDate = Self.amzDate(date)
        var all = headers
        all.append(("x-amz-date", amzDate))
        if let token = credentials.sessionToken { all.append(("x-amz-security-token", token)) }
        let (canonical, signedHeaders) = Self.canonicalRequest(method: method, path: path, query: query, headers: all, payloadHash: payloadHash)
        let scope = "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Hex.encode(SHA256.hash(data: Array(canonical.utf8))))"
        let key = Self.signingKey(secret: credentials.secretAccessKey, date: String(amzDate.prefix(8)), region: region, service: service)
        let signature = Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: SymmetricKey(data: key)))
        var added = [("x-amz-date", amzDate)]
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        added.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return added
    }

    /// The canonical request and its signed-headers line.
    static func canonicalRequest(method: String, path: String, query: [(String, String)], headers: [(String, String)], payloadHash: String)
        -> (String, String)
    {
        let canonicalQuery = query.map { (URIEncoding.encode($0.0, slash: true), URIEncoding.encode($0.1, slash: true)) }
            .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        var grouped: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !unsigned.contains(lower) else { continue }
            grouped[lower, default: []].append(value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " "))
        }
        let names = grouped.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(grouped[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let uri = URIEncoding.encode(path.isEmpty ? "/" : path, slash: false)
        return ("\(method)\n\(uri)\n\(canonicalQuery)\n\(canonicalHeaders)\n\(signedHeaders)\n\(payloadHash)", signedHeaders)
    }

    static func signingKey(secret: String, date: String, region: String, service: String) -> [UInt8] {
        func hmac(_ key: [UInt8], _ text: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
        }
        return hmac(hmac(hmac(hmac(Array(("AWS4" + secret).utf8), date), region), service), "aws4_request")
    }

    /// `20150830T123600Z`
    public static func amzDate(_ date: Date) -> String {
        Timestamp.formatBasic(millis: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
