import ArgumentParser
import Foundation
import VigilCore
import VigilServer
import VigilTesting

/// Raw HTTP/1.1 requests against a live server in this process: every route (SCIM filters and bodies, tokens,
/// permissions, statements, ingest) with malformed request lines, headers, lengths, chunking, encodings and
/// bodies. A crash of the server is a crash of this process and is reported with its input; a 5xx other than a
/// 503 from the connection cap, or no answer at all, is a finding; and the server must still answer /health.
struct HTTPFuzzCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "http", abstract: "Fuzz the HTTP layer and every endpoint.")

    @OptionGroup var options: FuzzOptions

    static let paths = [
        "/health", "/.well-known/databricks-config", "/metrics", "/api/2.0/audit/events", "/api/2.0/audit/events/abc",
        "/api/2.0/vigil/compute/node-timeline", "/api/2.0/token/create", "/api/2.0/token/list", "/api/2.0/token/delete",
        "/api/2.0/token-management/on-behalf-of/tokens", "/api/2.0/vigil/ledger/checkpoint", "/api/2.0/vigil/ledger/keys",
        "/api/2.0/vigil/ledger/proof/inclusion", "/api/2.0/vigil/ledger/proof/consistency", "/api/2.0/sql/statements",
        "/api/2.0/sql/statements/x", "/api/2.0/sql/statements/x/result/chunks/0", "/api/2.0/sql/statements/x/cancel",
        "/api/2.0/preview/scim/v2/Me", "/api/2.0/preview/scim/v2/Users", "/api/2.0/preview/scim/v2/Users/1",
        "/api/2.0/preview/scim/v2/ServicePrincipals", "/api/2.0/preview/scim/v2/Groups", "/api/2.0/preview/scim/v2/Groups/2",
        "/api/2.0/groups/create", "/api/2.0/groups/add-member", "/api/2.0/groups/list", "/api/2.0/groups/list-members",
        "/api/2.0/permissions/audit-logs/all", "/api/2.0/permissions/audit-logs/all/permissionLevels", "/api/2.0/vigil/access-review",
        "/api/2.0/nope", "/../../etc/passwd", "/%2e%2e/%00", "/api/2.0//audit//events",
    ]

    static let queries = [
        "", "?filter=userName%20eq%20%22a%22", "?filter=" + String(repeating: "userName%20eq%20a%20or%20", count: 120) + "x%20eq%20y",
        "?filter=((((((((((", "?filter=userName%20co%20%22%5C%22", "?startIndex=0&count=-1", "?startIndex=99999999999999999999",
        "?page_size=0", "?page_size=1001", "?page_token=v1:1:2:3:x:desc", "?page_token=%00", "?start_time=9999999999999999999",
        "?start_time=2026-02-30T00:00:00Z", "?status_code=99999999999", "?user=%FF%FE", "?seq=-1", "?tree_size=18446744073709551616",
        "?first=5&second=2", "?days=-5", "?days=999999999", "?attributes=" + String(repeating: "a,", count: 1000),
        "?action_name=a&action_name=b&action_name=c", "?" + String(repeating: "x", count: 9000),
    ]

    func run() async throws {
        CrashReporter.install()
        var configuration = VigilConfiguration()
        configuration.connections = ConnectionLimits(maxConnections: 256, idleTimeout: .seconds(5), headerTimeout: .seconds(1), bodyTimeout: .seconds(1))
        configuration.unauthenticated = .init(rate: 100_000, burst: 100_000)
        configuration.sql.timeout = .milliseconds(200)
        let seed = options.seed
        let options = options
        let report: String = try await LiveServer.run(configuration: configuration) { server in
            var tally = Tally(kind: "http")
            let (count, seconds) = try await options.loop { index, random in
                let request = Self.request(&random, token: server.adminToken)
                CrashReporter.current("http #\(index) seed \(seed)", request)
                let connection = try RawConnection(port: server.port)
                connection.send(request)
                let (answer, closed) = await connection.readUntilClosed(timeout: .seconds(10))
                let statusLine = answer.prefix { $0 != "\r" && $0 != "\n" }
                let status = statusLine.split(separator: " ").dropFirst().first.map(String.init) ?? "none"
                tally.count(status == "none" ? (closed ? "closed without an answer" : "no answer in 10 s") : "HTTP \(status)")
                if status.hasPrefix("5"), status != "503" {
                    tally.finding("HTTP \(status) ← \(String(decoding: request.prefix(300), as: UTF8.self))")
                }
                if !closed, status == "none" {
                    tally.finding("no answer in 10 s ← \(String(decoding: request.prefix(300), as: UTF8.self))")
                }
                if index % 500 == 499 {
                    let health = try await server.request(.GET, "/health", token: .none)
                    if health.status != 200 { tally.finding("/health answered \(health.status) after input #\(index)") }
                }
            }
            tally.inputs = count
            return tally.report(seed: seed, seconds: seconds)
        }
        print(report, terminator: "")
    }

    static func request(_ random: inout SplitMix, token: String) -> [UInt8] {
        let method = random.pick(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "POST", "GET", "G\u{0}T", "BREW", ""])
        var path = random.pick(paths)
        if random.chance(40) { path += random.pick(queries) }
        let version = random.chance(95) ? "HTTP/1.1" : random.pick(["HTTP/1.0", "HTTP/2.0", "HTTP/9", "", "HTTP/1.1 x"])
        var body: [UInt8] = []
        switch random.below(6) {
        case 0:
            var generator = IngestGenerator(random: random)
            body = generator.body(nodes: random.chance(30)).bytes
            random = generator.random
        case 1:
            var generator = SQLGenerator(random: random)
            var writer = JSONWriter()
            writer.beginObject()
            writer.key("statement"); writer.string(generator.statement()); writer.comma()
            writer.key("warehouse_id"); writer.string("x"); writer.comma()
            writer.key("wait_timeout"); writer.string(random.pick(["0s", "5s", "50s", "51s", "x"]))
            writer.endObject()
            body = writer.bytes
            random = generator.random
        case 2:
            body = Array(random.pick([
                #"{"userName":"fuzz@x.com","displayName":"\u0000","active":false,"groups":[{"value":"1"}]}"#,
                #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"99999999999999999999"}]}]}"#,
                #"{"comment":"x","lifetime_seconds":9223372036854775807}"#, #"{"comment":"x","lifetime_seconds":-9223372036854775808}"#,
                #"{"access_control_list":[{"user_name":"admin","permission_level":"CAN_MANAGE"},{"group_name":"users","permission_level":"IS_OWNER"}]}"#,
                #"{"group_name":""}"#, #"{"token_id":"../../x"}"#, #"{"parent_name":"admins","user_name":"admin"}"#,
            ]).utf8)
            var mutator = Mutator(random: random)
            if random.chance(60) { body = mutator.mutate(bytes: body) }
            random = mutator.random
        case 3: body = Array(repeating: UInt8(ascii: "["), count: random.pick([10, 65, 1000, 100_000]))
        case 4: body = []
        default: body = (0..<random.below(512)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        var headers = ["Host: 127.0.0.1"]
        switch random.below(6) {
        case 0, 1, 2: headers.append("Authorization: Bearer \(token)")
        case 3: headers.append("Authorization: Bearer dapi\(random.below(1000))")
        case 4: headers.append(random.pick(["Authorization: Basic YWRtaW46YWRtaW4=", "Authorization: Bearer", "Authorization: bearer  \(token) ", "Authorization: Bearer \(token)\u{0}"]))
        default: break
        }
        if random.chance(70) { headers.append("Content-Type: " + random.pick(["application/json", "application/x-ndjson", "text/json", "application/yaml", "x"])) }
        let chunked = random.chance(10)
        if chunked {
            headers.append("Transfer-Encoding: chunked")
        } else {
            switch random.below(10) {
            case 0: headers.append("Content-Length: \(body.count + 10)")
            case 1: headers.append("Content-Length: -1")
            case 2: headers.append("Content-Length: 99999999999999999999")
            case 3: headers.append("Content-Length: \(body.count)"); headers.append("Content-Length: \(body.count + 1)")
            default: headers.append("Content-Length: \(body.count)")
            }
        }
        if random.chance(5) { headers.append("Content-Encoding: " + random.pick(["gzip", "br", "identity", "deflate, gzip"])) }
        if random.chance(5) { headers.append("X-Request-Id: " + random.pick(["ok-1", String(repeating: "z", count: 65), "\u{7F}"])) }
        if random.chance(2) { headers.append("X-Large: " + String(repeating: "y", count: 100_000)) }
        headers.append("Connection: close")
        var bytes = Array("\(method) \(path) \(version)\r\n\(headers.joined(separator: "\r\n"))\r\n\r\n".utf8)
        if chunked {
            let size = random.chance(80) ? String(body.count, radix: 16) : random.pick(["zz", "-1", "FFFFFFFFFFFFFFFF", ""])
            bytes += Array("\(size)\r\n".utf8) + body + Array("\r\n0\r\n\r\n".utf8)
        } else {
            bytes += body
        }
        return bytes
    }
}

@main
struct VigilFuzz: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "VigilFuzz",
        abstract: "Structure-aware fuzzers for Vigil's SQL compiler, ingest decoders and HTTP endpoints.",
        discussion: """
            Each input is generated from its seed and index, so a run is reproducible. A crash prints the input \
            and saves it to ./crash-input, then the process dies with the signal. scripts/fuzz runs all three.
            """,
        subcommands: [SQLFuzzCommand.self, IngestFuzzCommand.self, HTTPFuzzCommand.self])
}
