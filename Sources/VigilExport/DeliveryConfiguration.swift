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

    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// The target a URL names, or an error saying what is wrong with it.
    public static func target(url: String) throws -> any DeliveryTarget {
        if url.hasPrefix("file://") {
            let path = String(url.dropFirst("file://".count)).removingPercentEncoding ?? ""
            guard path.hasPrefix("/"), path.count > 1 else {
                throw VigilError(.invalidParameter, "\(url): a file URL needs an absolute path, as file:///var/lib/vigil-lake")
            }
            return DirectoryTarget(root: path)
        }
        if url.hasPrefix("s3://") {
            throw VigilError(.invalidParameter, "\(url): delivery to S3 is not built yet; use a file:/// URL")
        }
        throw VigilError(.invalidParameter, "\(url): want file:///path")
    }
}
