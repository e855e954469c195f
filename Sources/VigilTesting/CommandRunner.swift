import Foundation

/// Runs the built `vigil` binary as a user would, waiting without blocking a Swift concurrency thread.
public enum CommandRunner {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `vigil` executable next to the test bundle (`.build/<config>/vigil`).
    public static func vigilBinary() throws -> URL {
        var candidates = [Bundle.main.bundleURL.appendingPathComponent("vigil"),
                          Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("vigil")]
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("vigil"))
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates.map(\.path).joined(separator: ", ")])
        }
        return found
    }

    public static func run(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil,
                           directory: String? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = try vigilBinary()
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for key in ["VIGIL_HOST", "VIGIL_TOKEN", "DATABRICKS_HOST", "DATABRICKS_TOKEN"] { merged[key] = nil }
        merged.merge(environment) { $1 }
        process.environment = merged
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let folder = try TemporaryDirectory(prefix: "vigil-cli")
        defer { folder.remove() }
        let outURL = URL(fileURLWithPath: folder.file("out")), errURL = URL(fileURLWithPath: folder.file("err"))
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)  // opening it below fails if this did
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)  // opening it below fails if this did
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        if let stdin {
            let inURL = URL(fileURLWithPath: folder.file("in"))
            try stdin.write(to: inURL)
            process.standardInput = try FileHandle(forReadingFrom: inURL)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try ProcessLaunch.run(process) } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Result(status: status, stdout: try String(contentsOf: outURL, encoding: .utf8),
                      stderr: try String(contentsOf: errURL, encoding: .utf8))
    }
}
