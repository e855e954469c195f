import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import VigilCore
import VigilServer

/// A real Vigil on 127.0.0.1 with a free port and a real SQLite file in a temp folder, for end-to-end
/// tests and benchmarks (a chosen `port` for a test whose client starts before the server). Use `LiveServer.run { server in ... }`: the server stops (gracefully) when the
/// closure returns, even when it throws.
public struct LiveServer: Sendable {
    public let port: Int
    public let adminToken: String
    public let dataDirectory: String
    public let application: VigilApplication

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public static func run<T: Sendable>(
        configuration: VigilConfiguration? = nil, dataDirectory: String? = nil, port: Int = 0, clock: any WallClock = SystemWallClock(),
        logger: Logger? = nil, _ body: @Sendable (LiveServer) async throws -> T
    ) async throws -> T {
        let temporary = dataDirectory == nil ? try TemporaryDirectory() : nil
        defer { temporary?.remove() }
        var configuration = configuration ?? VigilConfiguration()
        configuration.dataDirectory = dataDirectory ?? temporary!.path
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.adminToken = configuration.adminToken ?? Secret("dapi" + RandomID.hex())
        var quiet = logger ?? Logger(label: "vigil.test")
        if logger == nil { quiet.logLevel = .critical }
        let vigil = try await VigilApplication(configuration: configuration, clock: clock, logger: quiet)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = vigil.makeApplication { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        let adminToken = configuration.adminToken!.revealedValue
        let directory = configuration.dataDirectory
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                throw VigilError(.unavailable, "test server did not start")
            }
            let server = LiveServer(port: port, adminToken: adminToken, dataDirectory: directory, application: vigil)
            // Close the database when the server stops, as a process exit would: a test that opens the file next
            // (vigil verify) must not race the pool's last WAL checkpoint.
            do {
                let result = try await body(server)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                try vigil.database.pool.close()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                try? vigil.database.pool.close()
                throw error
            }
        }
    }

    /// The tests' HTTP client: it does not follow redirects (a test looks at the 303 itself). Kept for the process:
    /// AsyncHTTPClient traps when a client is released without shutting down.
    public static let client = HTTPClient(
        eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// One HTTP exchange with the server. `token` defaults to the admin token; pass `.none` for none.
    public func request(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, contentType: String = "application/json",
        token: TokenChoice = .admin, headers: [(String, String)] = []
    ) async throws -> HTTPExchange {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        switch token {
        case .admin: request.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        case .value(let value): request.headers.add(name: "Authorization", value: "Bearer \(value)")
        case .none: break
        }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 256 << 20)
        return HTTPExchange(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    public func request(_ method: HTTPMethod, _ path: String, json: String, token: TokenChoice = .admin) async throws -> HTTPExchange {
        try await request(method, path, body: Array(json.utf8), token: token)
    }
}

public enum TokenChoice: Sendable {
    case admin
    case value(String)
    case none
}

/// A response as the tests look at it.
public struct HTTPExchange: Sendable {
    public let status: Int
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON (throws when it is not).
    public func json() throws -> JSONValue { try JSONParser.parse(body) }
}
