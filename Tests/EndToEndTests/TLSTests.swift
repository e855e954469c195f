import Foundation
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// HTTPS with a real client (curl, openssl, the vigil CLI): TLS 1.2 and up only, HSTS, the CLI trusting a private
/// CA, and a certificate replaced on SIGHUP without a restart.
@Suite("TLS")
struct TLSTests {
    static func withTLSServer<T: Sendable>(_ body: @Sendable (LiveServer, TemporaryDirectory, String) async throws -> T) async throws -> T {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (certificate, key) = try await ExternalCommand.selfSignedCertificate(in: folder, stem: "server", commonName: "vigil-a")
        var configuration = VigilConfiguration()
        configuration.tls = .init(certificatePath: certificate, keyPath: key)
        return try await LiveServer.run(configuration: configuration) { server in try await body(server, folder, certificate) }
    }

    @Test("curl gets the API over HTTPS with HSTS; TLS 1.1 and plain HTTP are refused")
    func https() async throws {
        try await Self.withTLSServer { server, _, certificate in
            let url = "https://127.0.0.1:\(server.port)/health"
            let ok = try await ExternalCommand.run("/usr/bin/curl", ["-sS", "-D", "-", "--cacert", certificate, url])
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout.hasPrefix("HTTP/1.1 200"), "\(ok.stdout)")
            #expect(ok.stdout.lowercased().contains("strict-transport-security: max-age=31536000; includesubdomains"))
            let tls12 = try await ExternalCommand.run("/usr/bin/curl", ["-sS", "-o", "/dev/null", "--tls-max", "1.2", "--cacert", certificate, url])
            #expect(tls12.status == 0, "\(tls12.stderr)")
            let tls11 = try await ExternalCommand.run("/bin/sh", ["-c", "openssl s_client -tls1_1 -connect 127.0.0.1:\(server.port) </dev/null"])
            #expect(tls11.status != 0)
            #expect(!tls11.stdout.contains("BEGIN CERTIFICATE"))
            let plain = try await ExternalCommand.run("/usr/bin/curl", ["-sS", "-m", "5", "http://127.0.0.1:\(server.port)/health"])
            #expect(plain.status != 0)
        }
    }

    @Test("the CLI trusts a self-signed server with --ca-cert, and refuses it without")
    func cliCACertificate() async throws {
        try await Self.withTLSServer { server, _, certificate in
            let environment = ["VIGIL_HOST": "https://127.0.0.1:\(server.port)", "VIGIL_TOKEN": server.adminToken]
            let trusted = try await CommandRunner.run(["events", "list", "--ca-cert", certificate], environment: environment)
            #expect(trusted.status == 0, "\(trusted.stderr)")
            let untrusted = try await CommandRunner.run(["events", "list"], environment: environment)
            #expect(untrusted.status == 1)
            #expect(untrusted.stderr.contains("is not trusted; pass --ca-cert FILE"), "\(untrusted.stderr)")
            let missing = try await CommandRunner.run(["events", "list", "--ca-cert", "/nonexistent.pem"], environment: environment)
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("/nonexistent.pem"), "\(missing.stderr)")
        }
    }

    @Test("a reloaded certificate is presented to new connections")
    func reload() async throws {
        try await Self.withTLSServer { server, folder, certificate in
            #expect(try await ExternalCommand.presentedSubject(port: server.port).contains("vigil-a"))
            let (next, nextKey) = try await ExternalCommand.selfSignedCertificate(in: folder, stem: "next", commonName: "vigil-b")
            try FileManager.default.removeItem(atPath: certificate)
            try FileManager.default.copyItem(atPath: next, toPath: certificate)
            try FileManager.default.removeItem(atPath: folder.file("server.key"))
            try FileManager.default.copyItem(atPath: nextKey, toPath: folder.file("server.key"))
            try #require(server.application.tls).reload()
            #expect(try await ExternalCommand.presentedSubject(port: server.port).contains("vigil-b"))
        }
    }

    @Test("vigil serve reloads its certificate on SIGHUP, keeps the old one when the new files are bad, and refuses to start on a bad file")
    func sighup() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let (certificate, key) = try await ExternalCommand.selfSignedCertificate(in: folder, stem: "server", commonName: "vigil-a")
        let data = folder.file("data")
        let serve = try await ServeProcess(dataDirectory: data, arguments: ["--tls-cert", certificate, "--tls-key", key])
        #expect(try await ExternalCommand.presentedSubject(port: serve.port).contains("vigil-a"))

        try "not a certificate".write(toFile: certificate, atomically: true, encoding: .utf8)
        kill(serve.processIdentifier, SIGHUP)
        for _ in 0..<100 where !serve.stderr.contains("TLS certificate reload failed") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(serve.stderr.contains("TLS certificate reload failed"))
        #expect(try await ExternalCommand.presentedSubject(port: serve.port).contains("vigil-a"))

        let (next, nextKey) = try await ExternalCommand.selfSignedCertificate(in: folder, stem: "next", commonName: "vigil-b")
        try FileManager.default.removeItem(atPath: certificate)
        try FileManager.default.copyItem(atPath: next, toPath: certificate)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: nextKey, toPath: key)
        kill(serve.processIdentifier, SIGHUP)
        var subject = ""
        for _ in 0..<100 {
            subject = try await ExternalCommand.presentedSubject(port: serve.port)
            if subject.contains("vigil-b") { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(subject.contains("vigil-b"))
        #expect(try await serve.stop() == 0)

        await #expect(throws: (any Error).self) {
            _ = try await ServeProcess(dataDirectory: data, arguments: ["--tls-cert", folder.file("missing.crt"), "--tls-key", key])
        }
        let refused = try await CommandRunner.run(["serve", "--data-dir", data, "--port", "0", "--tls-cert", folder.file("missing.crt"), "--tls-key", key])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("missing.crt"), "\(refused.stderr)")
    }
}
