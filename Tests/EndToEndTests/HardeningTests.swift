import CompressNIO
import Foundation
import NIOCore
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// The smaller holes an independent probe found, each closed: response headers, duplicate keys, compressed
/// bodies, token lifetimes, what a 409 reveals, file modes and the first-start banner.
@Suite("Hardening")
struct HardeningTests {
    static let securityHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"), ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"), ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ]

    @Test("every response carries nosniff, no-store, no-referrer and frame denial; plain HTTP sends no HSTS")
    func securityHeaders() async throws {
        try await LiveServer.run { server in
            let exchanges = [
                try await server.request(.GET, "/health", token: .none),
                try await server.request(.GET, "/api/2.0/audit/events", token: .none),
                try await server.request(.GET, "/api/2.0/no/such/endpoint"),
                try await server.request(.POST, "/api/2.0/token/create", json: #"{"comment":"headers"}"#),
                try await server.request(.POST, "/api/2.0/audit/events", json: "{not json"),
            ]
            #expect(exchanges.map(\.status) == [200, 401, 404, 200, 400])
            for exchange in exchanges {
                for (name, value) in Self.securityHeaders {
                    #expect(exchange.headers.first(name: name) == value, "\(name) on a \(exchange.status)")
                }
                #expect(exchange.headers.first(name: "Strict-Transport-Security") == nil)
            }
        }
    }

    @Test("a repeated response.status_code is refused like every other repeated member")
    func duplicateStatusCode() async throws {
        try await LiveServer.run { server in
            let body = #"{"service_name":"accounts","action_name":"login","event_time":"2026-01-01T00:00:00Z","response":{"status_code":200,"status_code":500}}"#
            let reply = try await server.request(.POST, "/api/2.0/audit/events", json: body)
            #expect(reply.status == 400)
            guard case .array(let details)? = try reply.json()["details"] else {
                Issue.record("no details: \(reply.text)")
                return
            }
            #expect(details.contains { $0["field"] == .string("response.status_code") && $0["reason"] == .string("duplicate_field") }, "\(details)")
        }
    }

    @Test("control endpoints refuse a body that names a member twice", arguments: [
        ("/api/2.0/sql/statements", "POST", #"{"statement":"SELECT 1","warehouse_id":"x","statement":"SELECT 2"}"#),
        ("/api/2.0/token/create", "POST", #"{"comment":"a","comment":"b"}"#),
        ("/api/2.0/permissions/audit-logs/all", "PATCH", #"{"access_control_list":[{"group_name":"users","group_name":"admins","permission_level":"CAN_VIEW"}]}"#),
        ("/api/2.0/preview/scim/v2/Users", "POST", #"{"userName":"a@x.com","userName":"admin"}"#),
        ("/api/2.0/groups/create", "POST", #"{"group_name":"g1","group_name":"admins"}"#),
    ])
    func duplicateKeys(_ path: String, _ method: String, _ body: String) async throws {
        try await LiveServer.run { server in
            let reply = try await server.request(method == "PATCH" ? .PATCH : .POST, path, json: body)
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.text.contains("duplicate member"), "\(reply.text)")
        }
    }

    @Test("a SCIM filter of more than 100 conditions is refused instead of built into a deep tree")
    func scimFilterConditions() async throws {
        try await LiveServer.run { server in
            let conditions = (0...100).map { "userName%20eq%20%22u\($0)%22" }.joined(separator: "%20or%20")
            let reply = try await server.request(.GET, "/api/2.0/preview/scim/v2/Users?filter=\(conditions)")
            #expect(reply.status == 400)
            #expect(reply.text.contains("more than 100 conditions"), "\(reply.text)")
            let fits = (0..<100).map { "userName%20eq%20%22u\($0)%22" }.joined(separator: "%20or%20")
            #expect(try await server.request(.GET, "/api/2.0/preview/scim/v2/Users?filter=\(fits)").status == 200)
        }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        let compressed = try buffer.compress(with: .gzip())
        return Array(compressed.readableBytesView)
    }

    @Test("a gzip body is decoded; a bomb past the size limit is 413; another encoding is 415; broken gzip is 400")
    func compressedBodies() async throws {
        var configuration = VigilConfiguration()
        configuration.limits = IngestLimits(maxEventBytes: 1 << 20, maxRequestBytes: 4 << 20)
        try await LiveServer.run(configuration: configuration) { server in
            let events = (0..<50).map { #"{"service_name":"accounts","action_name":"login","event_time":"2026-01-01T00:00:00Z","event_id":"gz\#($0)"}"# }
            let ndjson = Array(events.joined(separator: "\n").utf8)
            let stored = try await server.request(
                .POST, "/api/2.0/audit/events", body: try Self.gzip(ndjson), contentType: "application/x-ndjson",
                headers: [("Content-Encoding", "gzip")])
            #expect(stored.status == 200, "\(stored.text)")
            #expect(try stored.json()["accepted"] == .number("50"))

            // 16 MiB of spaces compress to about 16 KiB.
            let bomb = try Self.gzip(Array(repeating: 0x20, count: 16 << 20))
            #expect(bomb.count < 100_000)
            let refused = try await server.request(.POST, "/api/2.0/audit/events", body: bomb, headers: [("Content-Encoding", "gzip")])
            #expect(refused.status == 413, "\(refused.text)")
            #expect(refused.text.contains("decompresses to more than"))

            let brotli = try await server.request(.POST, "/api/2.0/audit/events", body: ndjson, headers: [("Content-Encoding", "br")])
            #expect(brotli.status == 415)
            #expect(brotli.text.contains("'br'"))

            let broken = try await server.request(.POST, "/api/2.0/token/create", body: Array("not gzip".utf8), headers: [("Content-Encoding", "gzip")])
            #expect(broken.status == 400)
            #expect(broken.text.contains("gzip"))
        }
    }

    @Test("lifetime_seconds of zero or less is refused instead of making a token that never expires")
    func tokenLifetime() async throws {
        try await LiveServer.run { server in
            for lifetime in ["0", "-1", "-86400"] {
                let reply = try await server.request(.POST, "/api/2.0/token/create", json: #"{"lifetime_seconds":\#(lifetime)}"#)
                #expect(reply.status == 400)
                #expect(reply.text.contains("lifetime_seconds must be a positive number"), "\(reply.text)")
            }
            let onBehalf = try await server.request(
                .POST, "/api/2.0/token-management/on-behalf-of/tokens", json: #"{"user_name":"admin","lifetime_seconds":0}"#)
            #expect(onBehalf.status == 400)
            #expect(try await server.request(.POST, "/api/2.0/token/create", json: #"{"lifetime_seconds":60}"#).status == 200)
        }
    }

    @Test("a 409 tells the stored seq only to a caller who may read the log")
    func conflictHidesSeq() async throws {
        try await LiveServer.run { server in
            let roles = try await Roles.setUp(server)
            let producer = try #require(roles.tokens["service principal"])
            let event = #"{"service_name":"a","action_name":"b","event_time":"2026-01-01T00:00:00Z","event_id":"c1"}"#
            let changed = #"{"service_name":"a","action_name":"changed","event_time":"2026-01-01T00:00:00Z","event_id":"c1"}"#
            #expect(try await server.request(.POST, "/api/2.0/audit/events", json: event, token: producer).status == 200)
            let asProducer = try await server.request(.POST, "/api/2.0/audit/events", json: changed, token: producer)
            #expect(asProducer.status == 409)
            #expect(!asProducer.text.contains("seq"), "\(asProducer.text)")
            let asAdmin = try await server.request(.POST, "/api/2.0/audit/events", json: changed)
            #expect(asAdmin.status == 409)
            #expect(asAdmin.text.contains("seq "), "\(asAdmin.text)")
        }
    }

    static func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test("the database, its WAL and -shm, the keys and the token file are owner-only; an older 0644 file is narrowed")
    func fileModes() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // A folder left by an older Vigil: readable by all.
        #expect(FileManager.default.createFile(atPath: folder.file("vigil.sqlite"), contents: nil, attributes: [.posixPermissions: 0o644]))
        _ = chmod(folder.path, 0o755)
        try await LiveServer.run(dataDirectory: folder.path) { server in
            _ = try await server.request(.POST, "/api/2.0/audit/events", json: #"{"service_name":"a","action_name":"b","event_time":"2026-01-01T00:00:00Z"}"#)
            #expect(try Self.mode(folder.path) == 0o700)
            for file in ["vigil.sqlite", "vigil.sqlite-wal", "vigil.sqlite-shm"] {
                #expect(try Self.mode(folder.file(file)) == 0o600, "\(file)")
            }
            let keys = try FileManager.default.contentsOfDirectory(atPath: folder.file("keys")).filter { $0.hasSuffix(".key") }
            #expect(!keys.isEmpty)
            for key in keys { #expect(try Self.mode(folder.file("keys/" + key)) == 0o600) }
        }
    }

    @Test("the first-start banner names the token file and never prints the token")
    func bannerHidesToken() async throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let serve = try await ServeProcess(dataDirectory: folder.path)
        let status = try await serve.stop()
        #expect(status == 0)
        let token = try String(contentsOfFile: folder.file("admin-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.count >= 16)
        #expect(try Self.mode(folder.file("admin-token")) == 0o600)
        #expect(serve.stdout.contains(folder.file("admin-token")), "\(serve.stdout)")
        #expect(!serve.stdout.contains(token))
        #expect(!serve.stderr.contains(token))
    }
}
