import Foundation
import Synchronization

/// The built `vigil` binary started in the background (`vigil run`, a follower), for tests that signal it or act
/// while it runs; `wait()` gives its exit status and output.
public final class RunningCommand: Sendable {
    private let process: SpawnedProcess
    private let folder: TemporaryDirectory

    public var processIdentifier: Int32 { process.processIdentifier }

    /// `program` is `vigil` or another executable built beside it (`vigil-agent`).
    public init(_ arguments: [String], environment: [String: String] = [:], program: String = "vigil") throws {
        folder = try TemporaryDirectory(prefix: "vigil-running")
        var merged = ProcessInfo.processInfo.environment
        for key in ["VIGIL_HOST", "VIGIL_TOKEN", "DATABRICKS_HOST", "DATABRICKS_TOKEN"] { merged[key] = nil }
        merged.merge(environment) { $1 }
        process = try SpawnedProcess(
            executable: try CommandRunner.vigilBinary().deletingLastPathComponent().appendingPathComponent(program).path, arguments: arguments,
            environment: merged, stdout: folder.file("out"), stderr: folder.file("err"))
    }

    deinit {
        process.signal(SIGKILL)
        folder.remove()
    }

    public var stdout: String { (try? String(contentsOfFile: folder.file("out"), encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? "" }
    public var hasExited: Bool { process.terminationStatus != nil }

    public func signal(_ number: Int32) { process.signal(number) }

    /// Waits for the exit (at most `timeout`, then SIGKILL and an error); returns the exit status.
    public func wait(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let code = process.terminationStatus { return code }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.signal(SIGKILL)
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "vigil did not exit within \(timeout): \(stderr)"])
    }
}

/// A TCP port on 127.0.0.1 free right now (bound, read, released): for a server that must come back on the same
/// port after a restart.
public enum FreePort {
    public static func find() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
