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

    @Test("a burst many times the pipe's size arrives whole and in order, lines cut across reads included")
    func burst() async throws {
        let queue = try ShipQueue(spoolDirectory: nil, limits: .init(maxMemoryLines: 1_000_000, maxMemoryBytes: 1 << 30))
        // 100,000 lines of 201 bytes: 20 MB through a 1 MiB pipe.
        let child = try ChildProcess(command: ["awk", #"BEGIN { for (i = 0; i < 100000; i++) printf "%06d %0194d\n", i, 0 }"#])
        let lines = await PipeReader.drain(child.stdout, stream: .stdout, maxLineBytes: 1 << 16, queue: queue, tee: nil, clock: SystemWallClock(),
                                           notify: {})
        #expect(await child.waitForExit().code == 0)
        #expect(lines == 100_000)
        var expected = 0
        while let batch = queue.next() {
            for record in batch.body.split(separator: 0x0A) {
                guard case .string(let message)? = try JSONParser.parse(Array(record))["message"] else { continue }
                #expect(message.utf8.count == 201 && message.hasPrefix(String(format: "%06d ", expected)), "line \(expected): \(message.prefix(20))")
                expected += 1
            }
            queue.acknowledge(batch.key)
        }
        #expect(expected == 100_000)
    }

    @Test("reads wait for the cutting thread past the bound, and the cutting thread gets them all, oldest first, then the end")
    func handoff() async throws {
        let handoff = ReadHandoff(maxBytes: 10)
        handoff.put(.init(millis: 1, bytes: Array(repeating: 65, count: 10)))
        final class Flag: Sendable { let value = Atomic<Bool>(false) }
        let second = Flag()
        Thread.detachNewThread {
            handoff.put(.init(millis: 2, bytes: [66]))  // waits: 10 bytes are already waiting
            second.value.store(true, ordering: .releasing)
            handoff.end()
        }
        try await Task.sleep(for: .milliseconds(100))
        let putEarly = second.value.load(ordering: .acquiring)
        #expect(!putEarly)
        #expect(handoff.take()?.map(\.millis) == [1])
        var rest: [Int64] = []
        while let taken = handoff.take() { rest += taken.map(\.millis) }
        #expect(rest == [2])
        let putLater = second.value.load(ordering: .acquiring)
        #expect(putLater)
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
