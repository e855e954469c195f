import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import VigilCore
import VigilServer
import VigilTesting

/// `vigil run` as its users run it: the built binary around real commands, against a real server, including one
/// that stops and comes back while the command writes.
@Suite("vigil run")
struct RunCommandTests {
    static func environment(_ baseURL: String, _ token: String) -> [String: String] {
        ["VIGIL_HOST": baseURL, "VIGIL_TOKEN": token]
    }

    /// Every line of the app, oldest first: (source, message).
    static func lines(_ baseURL: String, _ token: String, app: String = "shop") async throws -> [(String, String)] {
        var request = HTTPClientRequest(url: baseURL + "/api/2.0/vigil/apps/\(app)/logs?tail_lines=10000")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await LiveServer.client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard case .array(let lines)? = try JSONParser.parse(Array(body.readableBytesView))["lines"] else { return [] }
        return lines.compactMap { line in
            guard case .string(let source)? = line["source"], case .string(let message)? = line["message"] else { return nil }
            return (source, message)
        }
    }

    static func createApp(_ baseURL: String, _ token: String, _ name: String = "shop") async throws {
        var request = HTTPClientRequest(url: baseURL + "/api/2.0/apps")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(string: #"{"name":"\#(name)"}"#))
        #expect(try await LiveServer.client.execute(request, timeout: .seconds(10)).status == .ok)
    }

    @Test("ships standard output and error as lines, marks start and exit, and exits with the command's code")
    func shipsAndExits() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let spool = try TemporaryDirectory()
            defer { spool.remove() }
            let result = try await CommandRunner.run(
                ["run", "--app", "shop", "--spool-dir", spool.path, "--", "sh", "-c", "echo out; echo err >&2; printf 'no newline'; exit 5"],
                environment: Self.environment(server.baseURL, server.adminToken))
            #expect(result.status == 5, "\(result.stderr)")
            #expect(result.stdout.isEmpty && result.stderr.isEmpty)
            let lines = try await Self.lines(server.baseURL, server.adminToken)
            #expect(Set(lines.filter { $0.0 == "APP" }.map(\.1)) == ["out", "err", "no newline"])
            let system = lines.filter { $0.0 == "SYSTEM" }.map(\.1)
            #expect(system.count == 3)
            #expect(system.first?.hasPrefix("vigil run: starting sh -c") == true)
            #expect(system.dropFirst().first?.hasPrefix("vigil run: started sh -c") == true)
            #expect(system.last?.hasSuffix("exited with code 5") == true)
            let stderrLine = try await server.request(.GET, "/api/2.0/vigil/apps/shop/logs?search=err&source=APP").json()
            #expect(stderrLine["lines"].map(JSONWriter.text(of:))?.contains(#""stream":"stderr""#) == true)
        }
    }

    @Test("standard input passes through to the command, and --tee copies its output")
    func stdinAndTee() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let spool = try TemporaryDirectory()
            defer { spool.remove() }
            let result = try await CommandRunner.run(
                ["run", "--app", "shop", "--spool-dir", spool.path, "--tee", "--", "cat"],
                environment: Self.environment(server.baseURL, server.adminToken), stdin: Data("first\nsecond\n".utf8))
            #expect(result.status == 0)
            #expect(result.stdout == "first\nsecond\n")
            #expect(try await Self.lines(server.baseURL, server.adminToken).filter { $0.0 == "APP" }.map(\.1) == ["first", "second"])
        }
    }

    @Test("the command gets standard input, output and error and no other descriptor: not vigil run's connection to the server")
    func onlyStandardDescriptors() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let spool = try TemporaryDirectory()
            defer { spool.remove() }
            // By the time the command starts, vigil run has already talked to the server (its "starting" line).
            let result = try await CommandRunner.run(
                ["run", "--app", "shop", "--spool-dir", spool.path, "--", "sh", "-c", "ls /proc/$$/fd"],
                environment: Self.environment(server.baseURL, server.adminToken))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(try await Self.lines(server.baseURL, server.adminToken).filter { $0.0 == "APP" }.map(\.1) == ["0", "1", "2"])
        }
    }

    @Test("SIGTERM and SIGINT reach the command; killed by one, vigil run exits 128 + the signal")
    func signals() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let spool = try TemporaryDirectory()
            defer { spool.remove() }
            let environment = Self.environment(server.baseURL, server.adminToken)
            let trapping = try RunningCommand(
                ["run", "--app", "shop", "--spool-dir", spool.path, "--", "sh", "-c", "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done"],
                environment: environment)
            try await AppLogsTests.eventually { try await Self.lines(server.baseURL, server.adminToken).contains { $0.1 == "ready" } }
            trapping.signal(SIGTERM)
            #expect(try await trapping.wait() == 0, "\(trapping.stderr)")
            #expect(try await Self.lines(server.baseURL, server.adminToken).contains { $0.1 == "got TERM" })

            let sleeping = try RunningCommand(["run", "--app", "shop", "--spool-dir", spool.path, "--", "sleep", "600"], environment: environment)
            try await AppLogsTests.eventually { try await Self.lines(server.baseURL, server.adminToken).contains { $0.1.contains("started sleep 600") } }
            sleeping.signal(SIGINT)
            #expect(try await sleeping.wait() == 128 + SIGINT)
            #expect(try await Self.lines(server.baseURL, server.adminToken).contains { $0.1.hasSuffix("sleep 600 was killed by signal \(SIGINT)") })
        }
    }

    @Test("a server stopped and restarted while the command writes loses, doubles and reorders no line")
    func serverRestart() async throws {
        let data = try TemporaryDirectory()
        let spool = try TemporaryDirectory()
        defer { data.remove(); spool.remove() }
        let token = "dapi" + RandomID.hex()
        let port = try FreePort.find()
        var server: ServeProcess? = try await ServeProcess(dataDirectory: data.path, port: port, environment: ["VIGIL_ADMIN_TOKEN": token])
        let baseURL = "http://127.0.0.1:\(port)"
        try await Self.createApp(baseURL, token)
        let count = 3000
        // The command writes a first part, waits until the test has stopped the server, then writes the rest, so
        // lines are written while the server is away however slow this machine is.
        let go = spool.path + "/go"
        let script = "i=0; while [ $i -lt \(count) ]; do echo \"line $i\"; i=$((i+1)); case $i in *00) sleep 0.05;; esac; "
            + "if [ $i -eq 1000 ]; then while [ ! -e \(go) ]; do sleep 0.05; done; fi; done"
        let run = try RunningCommand(
            ["run", "--app", "shop", "--spool-dir", spool.path, "--flush-timeout", "60", "--", "sh", "-c", script],
            environment: Self.environment(baseURL, token))
        // Stop the server once lines flow, while the command is still writing.
        try await AppLogsTests.eventually { try await Self.lines(baseURL, token).count >= 100 }
        #expect(try await server?.stop() == 0)
        #expect(!run.hasExited)
        server = nil
        FileManager.default.createFile(atPath: go, contents: nil)
        try await Task.sleep(for: .seconds(1))
        server = try await ServeProcess(dataDirectory: data.path, port: port, environment: ["VIGIL_ADMIN_TOKEN": token])
        #expect(try await run.wait(timeout: .seconds(90)) == 0, "\(run.stderr)")
        let app = try await Self.lines(baseURL, token).filter { $0.0 == "APP" }.map(\.1)
        #expect(app.count == count)
        #expect(app == (0..<count).map { "line \($0)" })
        #expect(run.stderr.contains("cannot reach"), "\(run.stderr)")
        _ = try await server?.stop()
    }

    @Test("while the server is away lines wait in the spool; past its limit they are dropped and reported; the next run sends the rest first")
    func spoolLimit() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let port = try FreePort.find()
        let baseURL = "http://127.0.0.1:\(port)"
        let token = "dapi" + RandomID.hex()
        let first = try await CommandRunner.run(
            ["run", "--app", "shop", "--spool-dir", spool.path, "--spool-bytes", "30000", "--memory-lines", "100", "--flush-timeout", "1", "--",
             "sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo \"line $i\"; i=$((i+1)); done"],
            environment: Self.environment(baseURL, token))
        #expect(first.status == 0)
        #expect(first.stderr.contains("cannot reach"))
        let dropped = try #require(first.stderr.range(of: #"(\d+) lines were dropped"#, options: .regularExpression).flatMap {
            Int(first.stderr[$0].split(separator: " ")[0])
        }, "\(first.stderr)")
        #expect(dropped > 0 && dropped < 2000)
        #expect(first.stderr.contains("wait in \(spool.path)/shop"))

        let data = try TemporaryDirectory()
        defer { data.remove() }
        let server = try await ServeProcess(dataDirectory: data.path, port: port, environment: ["VIGIL_ADMIN_TOKEN": token])
        try await Self.createApp(baseURL, token)
        let second = try await CommandRunner.run(["run", "--app", "shop", "--spool-dir", spool.path, "--", "echo", "later"],
                                                 environment: Self.environment(baseURL, token))
        #expect(second.status == 0, "\(second.stderr)")
        let app = try await Self.lines(baseURL, token).filter { $0.0 == "APP" }.map(\.1)
        // The oldest lines were kept (new ones dropped), in order, then the second run's own.
        let kept = app.dropLast()
        // The dropped count includes vigil run's own last lines (the exit and the drop notice), newest of all.
        #expect((2000...2002).contains(kept.count + dropped), "\(kept.count) kept, \(dropped) dropped")
        #expect(Array(kept) == (0..<kept.count).map { "line \($0)" })
        #expect(app.last == "later")
        #expect(try FileManager.default.contentsOfDirectory(atPath: spool.path + "/shop").isEmpty)
        _ = try await server.stop()
    }

    @Test("after the command ends, Ctrl-C stops the wait for an unreachable server at once; the lines stay in the spool")
    func interruptedFlush() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        // Port 1: nothing listens there, whereas a port found free may be taken by another test's server meanwhile.
        let baseURL = "http://127.0.0.1:1"
        let run = try RunningCommand(
            ["run", "--app", "shop", "--spool-dir", spool.path, "--flush-timeout", "300", "--", "echo", "done"],
            environment: Self.environment(baseURL, "dapi" + RandomID.hex()))
        try await AppLogsTests.eventually { run.stderr.contains("cannot reach") }
        try await Task.sleep(for: .seconds(1))  // echo has long ended: the signal is not the command's
        #expect(!run.hasExited)
        let interrupted = ContinuousClock.now
        run.signal(SIGINT)
        #expect(try await run.wait(timeout: .seconds(120)) == 0, "\(run.stderr)")
        #expect(ContinuousClock.now - interrupted < .seconds(60))
        #expect(run.stderr.contains("wait in \(spool.path)/shop"), "\(run.stderr)")
        #expect(try !FileManager.default.contentsOfDirectory(atPath: spool.path + "/shop").isEmpty)
    }

    @Test("output a background process keeps open: vigil run stops reading after the flush timeout, its lines before the exit line, and says so")
    func outputLeftOpen() async throws {
        try await LiveServer.run { server in
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let spool = try TemporaryDirectory()
            defer { spool.remove() }
            let started = ContinuousClock.now
            let result = try await CommandRunner.run(
                ["run", "--app", "shop", "--spool-dir", spool.path, "--flush-timeout", "3", "--",
                 "sh", "-c", "echo before; (sleep 30; echo late) & echo after"],
                environment: Self.environment(server.baseURL, server.adminToken))
            #expect(result.status == 0, "\(result.stderr)")
            #expect(ContinuousClock.now - started < .seconds(25), "vigil run waited for the background process")
            let lines = try await Self.lines(server.baseURL, server.adminToken).map(\.1)
            let exited = try #require(lines.firstIndex { $0.hasSuffix("exited with code 0") }, "\(lines)")
            #expect(Set(lines[..<exited]).isSuperset(of: ["before", "after"]))
            #expect(lines[(exited + 1)...].contains { $0.contains("the command's output is still open") })
            #expect(!lines.contains("late"))
        }
    }

    @Test("an unknown app, a refused token or no command stop vigil run before the command runs")
    func mistakes() async throws {
        try await LiveServer.run { server in
            let marker = try TemporaryDirectory()
            defer { marker.remove() }
            let touch = ["sh", "-c", "touch \(marker.file("ran"))"]
            let unknown = try await CommandRunner.run(["run", "--app", "ghost", "--"] + touch, environment: Self.environment(server.baseURL, server.adminToken))
            #expect(unknown.status == 2 && unknown.stderr.contains("app ghost does not exist; create it with: vigil apps create ghost"))
            _ = try await AppsAPITests.create(server, #"{"name":"shop"}"#)
            let refused = try await CommandRunner.run(["run", "--app", "shop", "--"] + touch, environment: Self.environment(server.baseURL, "dapi0"))
            #expect(refused.status == 2 && refused.stderr.contains("401"))
            #expect(!FileManager.default.fileExists(atPath: marker.file("ran")))
            let noCommand = try await CommandRunner.run(["run", "--app", "shop"], environment: Self.environment(server.baseURL, server.adminToken))
            #expect(noCommand.status == 2 && noCommand.stderr.contains("give the command to run after --"))
            let missing = try await CommandRunner.run(["run", "--app", "shop", "--", "/nonexistent/cmd"], environment: Self.environment(server.baseURL, server.adminToken))
            #expect(missing.status == 127 && missing.stderr.contains("cannot run /nonexistent/cmd"))
        }
    }

    @Test("vigil apps logs --follow rides out a server restart: it reconnects and prints each line once")
    func followAcrossRestart() async throws {
        let data = try TemporaryDirectory()
        defer { data.remove() }
        let token = "dapi" + RandomID.hex()
        let port = try FreePort.find()
        let baseURL = "http://127.0.0.1:\(port)"
        var server: ServeProcess? = try await ServeProcess(dataDirectory: data.path, port: port, environment: ["VIGIL_ADMIN_TOKEN": token])
        try await Self.createApp(baseURL, token)
        func push(_ message: String) async throws {
            var request = HTTPClientRequest(url: baseURL + "/api/2.0/vigil/apps/shop/logs")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.body = .bytes(ByteBuffer(string: #"{"message":"\#(message)"}"#))
            #expect(try await LiveServer.client.execute(request, timeout: .seconds(10)).status == .ok)
        }
        try await push("before")
        let follower = try RunningCommand(["apps", "logs", "shop", "--follow"], environment: Self.environment(baseURL, token))
        try await AppLogsTests.eventually { follower.stdout.contains("before") }
        try await push("during")
        try await AppLogsTests.eventually { follower.stdout.contains("during") }
        _ = try await server?.stop()
        server = try await ServeProcess(dataDirectory: data.path, port: port, environment: ["VIGIL_ADMIN_TOKEN": token])
        try await push("after")
        try await AppLogsTests.eventually { follower.stdout.contains("after") }
        follower.signal(SIGINT)
        _ = try await follower.wait()
        let printed = follower.stdout.split(separator: "\n").map { String($0.split(separator: " ", maxSplits: 2).last ?? "") }
        #expect(printed == ["before", "during", "after"], "\(follower.stdout)")
        #expect(follower.stderr.contains("reconnecting") || follower.stderr.contains("retrying"), "\(follower.stderr)")
        _ = try await server?.stop()
    }
}
