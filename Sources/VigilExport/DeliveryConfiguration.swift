import Foundation
import VigilCore

/// One delivery destination as the service runs it (the configuration file's `delivery:` entry, checked by
/// `VigilConfig`).
public struct DeliveryConfiguration: Sendable, Equatable {
    /// Names the destination in metrics, logs and its cursor: `[A-Za-z0-9_-]`, 1 to 64 characters.
    public var name: String
    /// `file:///absolute/path` (S3 is not built yet).
    public var url: String
    /// How often newly committed events are delivered.
    public var intervalMillis: Int64 = 60_000
    /// How often a digest is written (also when nothing was delivered, to prove so).
    public var digestIntervalMillis: Int64 = 3_600_000
    /// Most events per batch (per file, at most): bounds the memory a batch takes.
    public var batchEvents: Int = 20_000
    /// For `s3://` URLs: where the bucket is and the credentials to sign with.
    public var s3: S3Settings?

    public struct S3Settings: Sendable, Equatable, CustomStringConvertible {
        public var endpoint: String?
        public var region: String
        public var addressing: S3Location.Addressing?
        public var credentials: SigV4.Credentials
        public var partSize: Int

        public init(endpoint: String? = nil, region: String = "us-east-1", addressing: S3Location.Addressing? = nil,
                    credentials: SigV4.Credentials, partSize: Int = 8 << 20) {
            self.endpoint = endpoint
            self.region = region
            self.addressing = addressing
            self.credentials = credentials
            self.partSize = partSize
        }

        /// Never the secret.
        public var description: String { "S3Settings(endpoint: \(endpoint ?? "AWS"), region: \(region), key: \(credentials.accessKeyID))" }
    }

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// This destination's target.
    public func target() throws -> any DeliveryTarget {
        try Self.target(url: url, s3: s3)
    }

    /// The target a URL names, or an error saying what is wrong with it.
    public static func target(url: String, s3: S3Settings? = nil) throws -> any DeliveryTarget {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count)).removingPercentEncoding ?? ""
            guard path.hasPrefix("/"), path.count > 1 else {
                throw VigilError(.invalidParameter, "\(url): a file URL needs an absolute path, as file:///var/lib/vigil-lake")
            }
            return DirectoryTarget(root: path)
        }
        if url.hasPrefix("s3://") {
            let (bucket, prefix) = try S3Location.parse(url)
            guard let s3 else {
                throw VigilError(.invalidParameter, "\(url): no credentials (access_key_id and secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
            }
            return S3Target(location: S3Location(bucket: bucket, prefix: prefix, endpoint: s3.endpoint, region: s3.region, addressing: s3.addressing),
                            credentials: s3.credentials, partSize: s3.partSize)
        }
        throw VigilError(.invalidParameter, "\(url): want file:///path or s3://bucket/prefix")
    }
}
