import Foundation

/// Runs a program the tests use as a real peer (curl, openssl, sh), without blocking a Swift concurrency thread.
public enum ExternalCommand {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) async throws -> Result {
        let folder = try TemporaryDirectory(prefix: "vigil-cmd")
        defer { folder.remove() }
        var input: String?
        if let stdin {
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: folder.file("in")))
            input = folder.file("in")
        }
        let process = try SpawnedProcess(
            executable: executable, arguments: arguments, environment: ProcessInfo.processInfo.environment, stdin: input,
            stdout: folder.file("out"), stderr: folder.file("err"))
        let status = await process.wait()
        return Result(
            status: status, stdout: (try? String(contentsOfFile: folder.file("out"), encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: folder.file("err"), encoding: .utf8)) ?? "")
    }

    /// A self-signed certificate for 127.0.0.1 (ECDSA P-256, one day) with `commonName`, written as
    /// `<stem>.crt` and `<stem>.key` in `folder`.
    public static func selfSignedCertificate(in folder: TemporaryDirectory, stem: String, commonName: String) async throws -> (certificate: String, key: String) {
        let certificate = folder.file(stem + ".crt"), key = folder.file(stem + ".key")
        let result = try await run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-keyout", key, "-out", certificate, "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=IP:127.0.0.1",
        ])
        guard result.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl req failed: \(result.stderr)"])
        }
        return (certificate, key)
    }

    /// The subject of the certificate a TLS server on `port` presents.
    public static func presentedSubject(port: Int) async throws -> String {
        let result = try await run("/bin/sh", ["-c",
            "openssl s_client -connect 127.0.0.1:\(port) </dev/null 2>/dev/null | openssl x509 -noout -subject"])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
