import Foundation
import Synchronization

/// `vigil serve` as its own process, the way an operator runs it: for what only a real process shows (the
/// start-up banner, signals, file modes, exit status). It listens on a free port; `stop()` sends SIGTERM and
/// waits for the exit.
public final class ServeProcess: Sendable {
    public let dataDirectory: String
    /// The port it listens on, read from its "Vigil is listening" log line.
    public let port: Int
    private let process: SpawnedProcess
    private let folder: TemporaryDirectory

    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Starts the server (on `port`, or a free one for 0) and waits (at most `timeout`) until it listens.
    public init(
        dataDirectory: String, port requested: Int = 0, arguments: [String] = [], environment: [String: String] = [:], timeout: Duration = .seconds(60)
    ) async throws {
        self.dataDirectory = dataDirectory
        folder = try TemporaryDirectory(prefix: "vigil-serve")
        var merged = ProcessInfo.processInfo.environment
        for key in ["VIGIL_ADMIN_TOKEN", "VIGIL_DATA_DIR", "VIGIL_PORT"] { merged[key] = nil }
        merged.merge(environment) { $1 }
        let process = try SpawnedProcess(
            executable: try CommandRunner.vigilBinary().path, arguments: ["serve", "--data-dir", dataDirectory, "--port", String(requested)] + arguments,
            environment: merged, stdout: folder.file("out"), stderr: folder.file("err"))
        self.process = process
        let deadline = ContinuousClock.now + timeout
        var found: Int?
        while found == nil, ContinuousClock.now < deadline, process.terminationStatus == nil {
            try await Task.sleep(for: .milliseconds(50))
            found = Self.port(in: (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? "")
        }
        guard let found else {
            process.signal(SIGTERM)
            let stderr = (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? ""
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "vigil serve did not start listening: \(stderr)"])
        }
        port = found
    }

    deinit {
        process.signal(SIGKILL)
        folder.remove()
    }

    /// What it printed so far.
    public var stdout: String { (try? String(contentsOfFile: folder.file("out"), encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? "" }

    /// Sends `signal` (SIGTERM by default) and waits for the exit; returns the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) async throws -> Int32 {
        process.signal(signal)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.terminationStatus { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.signal(SIGKILL)
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
