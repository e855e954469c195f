import Foundation
import Synchronization

/// `vigil serve` as its own process, the way an operator runs it: for what only a real process shows (the
/// start-up banner, signals, file modes, exit status). It listens on a free port; `stop()` sends SIGTERM and
/// waits for the exit.
public final class ServeProcess: Sendable {
    public let dataDirectory: String
    /// The port it listens on, read from its "Vigil is listening" log line.
    public let port: Int
    private let process: Process
    private let folder: TemporaryDirectory
    private let exit = ExitStatus()

    private final class ExitStatus: Sendable {
        private let status = Mutex<Int32?>(nil)
        func withLock<T: Sendable>(_ body: (inout Int32?) -> T) -> T { status.withLock { body(&$0) } }
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Starts the server and waits (at most `timeout`) until it listens.
    public init(
        dataDirectory: String, arguments: [String] = [], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws {
        self.dataDirectory = dataDirectory
        folder = try TemporaryDirectory(prefix: "vigil-serve")
        let process = Process()
        process.executableURL = try CommandRunner.vigilBinary()
        process.arguments = ["serve", "--data-dir", dataDirectory, "--port", "0"] + arguments
        var merged = ProcessInfo.processInfo.environment
        for key in ["VIGIL_ADMIN_TOKEN", "VIGIL_DATA_DIR", "VIGIL_PORT"] { merged[key] = nil }
        merged.merge(environment) { $1 }
        process.environment = merged
        _ = FileManager.default.createFile(atPath: folder.file("out"), contents: nil)  // opening it below fails if this did
        _ = FileManager.default.createFile(atPath: folder.file("err"), contents: nil)  // opening it below fails if this did
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("err")))
        process.standardInput = FileHandle.nullDevice
        let exit = exit
        process.terminationHandler = { finished in exit.withLock { $0 = finished.terminationStatus } }
        try ProcessLaunch.run(process)
        self.process = process
        let deadline = ContinuousClock.now + timeout
        var found: Int?
        while found == nil, ContinuousClock.now < deadline, exit.withLock({ $0 }) == nil {
            try await Task.sleep(for: .milliseconds(50))
            found = Self.port(in: (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? "")
        }
        guard let found else {
            process.terminate()
            let stderr = (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? ""
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "vigil serve did not start listening: \(stderr)"])
        }
        port = found
    }

    deinit {
        if exit.withLock({ $0 }) == nil { kill(process.processIdentifier, SIGKILL) }
        folder.remove()
    }

    /// What it printed so far.
    public var stdout: String { (try? String(contentsOfFile: folder.file("out"), encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? "" }

    /// Sends `signal` (SIGTERM by default) and waits for the exit; returns the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        if exit.withLock({ $0 }) == nil { kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exit.withLock({ $0 }) { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(process.processIdentifier, SIGKILL)
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "vigil serve did not exit within \(timeout)"])
    }

    /// The port of the first `address=…:<port>` in the "Vigil is listening" line.
    static func port(in log: String) -> Int? {
        for line in log.split(separator: "\n") where line.contains("Vigil is listening") {
            guard let range = line.range(of: #"address=\S*?:(\d+)"#, options: .regularExpression) else { continue }
            let text = line[range]
            return text.split(separator: ":").last.flatMap { Int($0.filter(\.isNumber)) }
        }
        return nil
    }
}
