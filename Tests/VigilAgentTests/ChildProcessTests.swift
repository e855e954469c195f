import Foundation
import Synchronization
import Testing
import VigilCore
import VigilTesting
@testable import VigilAgent

@Suite("Child process")
struct ChildProcessTests {
    /// Runs `command`, returns its exit and the lines captured from each output.
    static func run(_ command: [String]) async throws -> (code: Int32, ending: String, out: [String], err: [String]) {
        let queue = try ShipQueue(spoolDirectory: nil)
        let child = try ChildProcess(command: command)
        async let out = PipeReader.drain(child.stdout, stream: .stdout, maxLineBytes: 1 << 16, queue: queue, tee: nil,
                                         clock: SystemWallClock(), notify: {})
        async let err = PipeReader.drain(child.stderr, stream: .stderr, maxLineBytes: 1 << 16, queue: queue, tee: nil,
                                         clock: SystemWallClock(), notify: {})
        let (code, ending) = await child.waitForExit()
        _ = await (out, err)
        var lines: [(String, String)] = []
        while let batch = queue.next() {
            for record in batch.body.split(separator: 0x0A) {
                let value = try JSONParser.parse(Array(record))
                if case .string(let message)? = value["message"], case .string(let stream)? = value["stream"] { lines.append((stream, message)) }
            }
            queue.acknowledge(batch.key)
        }
        return (code, ending, lines.filter { $0.0 == "stdout" }.map(\.1), lines.filter { $0.0 == "stderr" }.map(\.1))
    }

    @Test("standard output and error are captured apart, line by line, and the exit code is the command's")
    func capture() async throws {
        let result = try await Self.run(["sh", "-c", "echo one; echo two >&2; printf 'three'; exit 7"])
        #expect(result.code == 7)
        #expect(result.ending == "exited with code 7")
        #expect(result.out == ["one", "three"])
        #expect(result.err == ["two"])
    }

    @Test("a command killed by a signal exits 128 + the signal")
    func killed() async throws {
        let result = try await Self.run(["sh", "-c", "kill -TERM $$"])
        #expect(result.code == 128 + SIGTERM)
        #expect(result.ending == "was killed by signal \(SIGTERM)")
    }

    @Test("the command gets default signal handling: SIGPIPE ends a writer whose reader left, as in a shell")
    func sigpipe() async throws {
        // With SIGPIPE ignored, `yes` would see EPIPE and complain on standard error.
        let result = try await Self.run(["sh", "-c", "yes | head -n 2"])
        #expect(result.code == 0)
        #expect(result.out == ["y", "y"])
        #expect(result.err.isEmpty)
    }

    @Test("a command that cannot be started is an error naming it")
    func missing() {
        #expect(throws: ChildProcess.LaunchError.self) { try ChildProcess(command: ["/nonexistent/vigil-test-command"]) }
        #expect(throws: ChildProcess.LaunchError.self) { try ChildProcess(command: []) }
    }
}
