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
        var merged = ProcessInfo.processInfo.environment
        for key in ["VIGIL_HOST", "VIGIL_TOKEN", "DATABRICKS_HOST", "DATABRICKS_TOKEN"] { merged[key] = nil }
        merged.merge(environment) { $1 }
        let folder = try TemporaryDirectory(prefix: "vigil-cli")
        defer { folder.remove() }
        var input: String?
        if let stdin {
            try stdin.write(to: URL(fileURLWithPath: folder.file("in")))
            input = folder.file("in")
        }
        let process = try SpawnedProcess(
            executable: try vigilBinary().path, arguments: arguments, environment: merged, stdin: input, stdout: folder.file("out"),
            stderr: folder.file("err"), directory: directory)
        let status = await process.wait()
        return Result(status: status, stdout: (try? String(contentsOfFile: folder.file("out"), encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? "")
    }
}
