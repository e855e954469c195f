import Foundation
import VigilCore

/// Object storage as delivery and its verifier see it: whole objects put, read and listed by key (relative to the
/// destination's root). A put is all or nothing: a reader never sees half a file.
public protocol DeliveryTarget: Sendable {
    /// The destination as a URL, for messages (never holds credentials).
    var displayURL: String { get }
    func put(_ key: String, bytes: [UInt8]) async throws
    /// The object's bytes, or nil when there is none.
    func get(_ key: String) async throws -> [UInt8]?
    /// Every key under the root.
    func list() async throws -> [String]
}

extension DeliveryTarget {
    /// `<url>/<key>`, as verify prints it.
    public func url(of key: String) -> String {
        displayURL.hasSuffix("/") ? displayURL + key : displayURL + "/" + key
    }
}

/// A local folder (`file:///path`). A put writes a temporary file beside the object, flushes it to disk, renames
/// it into place and flushes the folder, so a crash leaves the old object or the new one, never a torn one.
public struct DirectoryTarget: DeliveryTarget {
    public let root: String

    public init(root: String) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    public var displayURL: String { "file://" + root }

    public func put(_ key: String, bytes: [UInt8]) async throws {
        try Self.checkKey(key)
        let path = root + "/" + key
        let folder = (path as NSString).deletingLastPathComponent
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw VigilError(.unavailable, "cannot create the folder \(folder): \((error as NSError).localizedFailureReason ?? "\(error)")")
        }
        let temporary = folder + "/.tmp-" + RandomID.hex(byteCount: 8)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw Self.failure("cannot create", temporary) }
        var written = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 { if errno == EINTR { continue }; return false }
                written += count
            }
            return fsync(descriptor) == 0
        }
        let error = Self.failure("cannot write", temporary)
        close(descriptor)
        guard ok else {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let failure = Self.failure("cannot rename into", path)
            unlink(temporary)
            throw failure
        }
        let directory = open(folder, O_RDONLY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    public func get(_ key: String) async throws -> [UInt8]? {
        try Self.checkKey(key)
        guard let data = FileManager.default.contents(atPath: root + "/" + key) else { return nil }
        return Array(data)
    }

    public func list() async throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw VigilError(.notFound, "\(root) is not a readable folder")
        }
        var keys: [String] = []
        while let relative = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            if (relative as NSString).lastPathComponent.hasPrefix(".tmp-") { continue }
            keys.append(relative)
        }
        return keys.sorted()
    }

    /// Keys are Vigil's own, but a key that could leave the root is refused all the same.
    static func checkKey(_ key: String) throws {
        guard !key.isEmpty, !key.hasPrefix("/"), !key.split(separator: "/").contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }) else {
            throw VigilError(.invalidParameter, "object key \(key) is not a plain relative path")
        }
    }

    private static func failure(_ what: String, _ path: String) -> VigilError {
        VigilError(.unavailable, "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}
