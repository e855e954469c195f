import Foundation
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// `vigil agent` becomes the small `vigil-agent` program (same pid), which must link neither Foundation's ICU half
/// nor the server, and must never carry the token in its arguments; the loop can still run inside `vigil`.
@Suite("Agent process")
struct AgentProcessTests {
    static func rows(_ server: LiveServer, cluster: String) async throws -> Int {
        let rows = try await ClustersAPITests.sql(server, "SELECT count(*) FROM system.compute.node_timeline WHERE cluster_id = '\(cluster)'")
        guard case .string(let text)? = rows.first?.first else { return 0 }
        return Int(text) ?? 0
    }

    @Test("vigil agent continues as vigil-agent: same pid, no Foundation or ICU mapped, no token in its arguments", .timeLimit(.minutes(2)))
    func replacesItself() async throws {
        try await LiveServer.run { server in
            // The token as an argument (which the help warns against): vigil-agent must get it another way.
            let agent = try RunningCommand(["agent", "--host", server.baseURL, "--token", server.adminToken, "--cluster-id", "slim", "--driver",
                                            "--interval", "1", "--instance-id=-dash-first"])
            try await AppLogsTests.eventually { try await Self.rows(server, cluster: "slim") >= 1 }
            let arguments = try String(contentsOfFile: "/proc/\(agent.processIdentifier)/cmdline", encoding: .utf8).split(separator: "\0")
            #expect(arguments.first?.hasSuffix("/vigil-agent") == true, "\(arguments)")
            #expect(arguments.contains("--instance-id=-dash-first"), "\(arguments)")
            #expect(!arguments.contains { $0.contains(server.adminToken) })
            let maps = try String(contentsOfFile: "/proc/\(agent.processIdentifier)/maps", encoding: .utf8)
            #expect(!maps.contains("libFoundation.so"))
            #expect(!maps.contains("FoundationICU"))
            #expect(!maps.contains("FoundationInternationalization"))
            // The Swift runtime is linked in, so Foundation or ICU would be inside the program, not in maps: its
            // metadata would name the module, and ICU's data its version.
            let program = try Data(contentsOf: URL(fileURLWithPath: String(arguments.first ?? "")))
            #expect(program.range(of: Data("FoundationInternationalization".utf8)) == nil)
            #expect(program.range(of: Data("icudt".utf8)) == nil)
            let node = try await ClustersAPITests.sql(server, "SELECT DISTINCT instance_id FROM system.compute.node_timeline WHERE cluster_id = 'slim'")
            #expect(node == [[.string("-dash-first")]])
            agent.signal(SIGTERM)
            #expect(try await agent.wait() == 0)
            #expect(agent.stderr.contains("cluster slim is RUNNING"), "\(agent.stderr)")
        }
    }

    @Test("a refused token stops vigil-agent with the server's reason and exit 1; nothing is stored", .timeLimit(.minutes(2)))
    func refusedToken() async throws {
        try await LiveServer.run { server in
            let agent = try RunningCommand(["agent", "--cluster-id", "denied", "--driver", "--interval", "1"],
                                           environment: ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": "dapi-wrong"])
            #expect(try await agent.wait() == 1)
            #expect(agent.stderr.contains("(HTTP 401)"), "\(agent.stderr)")
            #expect(try await Self.rows(server, cluster: "denied") == 0)
        }
    }

    @Test("VIGIL_AGENT_BINARY=none runs the same agent inside vigil", .timeLimit(.minutes(2)))
    func insideVigil() async throws {
        try await LiveServer.run { server in
            let agent = try RunningCommand(["agent", "--cluster-id", "inside", "--driver", "--once"],
                                           environment: ["VIGIL_HOST": server.baseURL, "VIGIL_TOKEN": server.adminToken, "VIGIL_AGENT_BINARY": "none"])
            #expect(try await agent.wait() == 0, "\(agent.stderr)")
            #expect(try await Self.rows(server, cluster: "inside") == 1)
            #expect(agent.stderr.contains("registered cluster inside"), "\(agent.stderr)")
        }
    }

    @Test("a VIGIL_AGENT_BINARY that cannot run is named, with the way out")
    func missingProgram() async throws {
        let result = try await CommandRunner.run(["agent", "--cluster-id", "x", "--once"],
                                                 environment: ["VIGIL_HOST": "http://127.0.0.1:9", "VIGIL_TOKEN": "t", "VIGIL_AGENT_BINARY": "/nonexistent/vigil-agent"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot run /nonexistent/vigil-agent: No such file or directory; set VIGIL_AGENT_BINARY=none"), "\(result.stderr)")
    }

    @Test("vigil-agent alone needs VIGIL_HOST as a URL and VIGIL_TOKEN, each named; its options are checked as vigil agent's")
    func aloneRefusals() async throws {
        let cases: [([String], [String: String], String)] = [
            (["--cluster-id", "x", "--once"], [:], "VIGIL_HOST must be the server's URL"),
            (["--cluster-id", "x", "--once"], ["VIGIL_HOST": "127.0.0.1:8080", "VIGIL_TOKEN": "t"], "VIGIL_HOST must be the server's URL"),
            (["--cluster-id", "x", "--once"], ["VIGIL_HOST": "http://127.0.0.1:9"], "no token: set VIGIL_TOKEN"),
            (["--cluster-id", "bad id", "--once"], ["VIGIL_HOST": "http://127.0.0.1:9", "VIGIL_TOKEN": "t"], "--cluster-id: a cluster id is"),
            (["--cluster-id", "x", "--interval", "0"], ["VIGIL_HOST": "http://127.0.0.1:9", "VIGIL_TOKEN": "t"], "--interval must be between 1 and 3600"),
        ]
        // A scheme in capitals is still a URL (vigil agent passes on what the user wrote).
        let shouting = try RunningCommand(["--cluster-id", "x", "--once"], environment: ["VIGIL_HOST": "HTTP://127.0.0.1:9", "VIGIL_TOKEN": "t"],
                                          program: "vigil-agent")
        #expect(try await shouting.wait() == 0)
        #expect(shouting.stderr.contains("cannot connect to HTTP://127.0.0.1:9"), "\(shouting.stderr)")
        for (arguments, environment, message) in cases {
            let agent = try RunningCommand(arguments, environment: environment, program: "vigil-agent")
            let status = try await agent.wait()
            #expect(status != 0)
            #expect(agent.stderr.contains(message), "\(arguments) \(environment): \(agent.stderr)")
        }
    }
}
