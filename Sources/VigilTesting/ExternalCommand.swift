import Foundation

/// Runs a program the tests use as a real peer (curl, openssl, sh), without blocking a Swift concurrency thread.
public enum ExternalCommand {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    public static func run(_ executable: String, _ arguments: [String], stdin: String? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let folder = try TemporaryDirectory(prefix: "vigil-cmd")
        defer { folder.remove() }
        _ = FileManager.default.createFile(atPath: folder.file("out"), contents: nil)  // opening it below fails if this did
        _ = FileManager.default.createFile(atPath: folder.file("err"), contents: nil)  // opening it below fails if this did
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("out")))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.file("err")))
        if let stdin {
            try Data(stdin.utf8).write(to: URL(fileURLWithPath: folder.file("in")))
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: folder.file("in")))
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
