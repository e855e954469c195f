import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VigilCore

/// One server per data folder: `<data-dir>/vigil.lock` is held with `flock` while the server runs, so a second
/// `vigil serve` on the same folder (two sequencers and two checkpoint signers on one file) refuses to start and
/// names the process that has it. The lock goes with the process, crashed or not; the file stays and holds the
/// last owner's pid.
public final class DataFolderLock: Sendable {
    public let path: String
    private let descriptor: Int32

    public init(dataDirectory: String) throws {
        path = (dataDirectory as NSString).appendingPathComponent("vigil.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw VigilError(.unavailable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let owner = Self.owner(descriptor)
            close(descriptor)
            throw VigilError(
                .unavailable,
                "the data folder \(dataDirectory) is in use by another vigil serve\(owner.map { " (pid \($0))" } ?? ""); stop it or choose another --data-dir")
        }
        // The holder's pid, for the message above and for operators.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    private static func owner(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
