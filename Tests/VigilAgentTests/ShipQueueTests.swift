import Foundation
import Testing
import VigilCore
import VigilTesting
@testable import VigilAgent

@Suite("Ship queue: memory, spool, order")
struct ShipQueueTests {
    static func lines(_ range: Range<Int>) -> [CapturedLine] {
        range.map { CapturedLine(timestampMillis: Int64($0), stream: .stdout, message: "line \($0)") }
    }

    /// Takes and acknowledges every batch; returns the messages in the order they would reach the server.
    static func drain(_ queue: ShipQueue) throws -> [String] {
        var messages: [String] = []
        while let batch = queue.next() {
            for record in batch.body.split(separator: 0x0A) {
                guard case .string(let message)? = try JSONParser.parse(Array(record))["message"] else { continue }
                messages.append(message)
            }
            queue.acknowledge(batch.key)
        }
        return messages
    }

    @Test("in memory: batches of at most maxBatchLines, retried with the same key until acknowledged")
    func memory() throws {
        let queue = try ShipQueue(spoolDirectory: nil, limits: .init(maxBatchLines: 4))
        queue.append(Self.lines(0..<10))
        let first = try #require(queue.next())
        #expect(first.lines == 4)
        #expect(queue.next() == first)  // not acknowledged: the same batch again
        queue.acknowledge(first.key)
        #expect(try Self.drain(queue) == (4..<10).map { "line \($0)" })
        #expect(queue.isEmpty)
    }

    @Test("when memory is full it goes to the spool, oldest first, and the order holds across both")
    func spill() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let queue = try ShipQueue(spoolDirectory: folder.path, limits: .init(maxMemoryLines: 10, maxBatchLines: 3))
        for start in stride(from: 0, to: 35, by: 5) { queue.append(Self.lines(start..<(start + 5))) }
        #expect(queue.spilledLines == 30)
        #expect(queue.droppedLines == 0)
        // Two spills of 15 lines (memory and the new lines), each as five batches of 3.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 10)
        #expect(try Self.drain(queue) == (0..<35).map { "line \($0)" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("a batch spilled while it is being sent is still acknowledged by its key")
    func spilledInFlight() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let queue = try ShipQueue(spoolDirectory: folder.path, limits: .init(maxMemoryLines: 5, maxBatchLines: 5))
        queue.append(Self.lines(0..<5))
        let inFlight = try #require(queue.next())
        queue.append(Self.lines(5..<8))  // memory full: the in-flight batch goes to the spool
        queue.acknowledge(inFlight.key)
        #expect(try Self.drain(queue) == (5..<8).map { "line \($0)" })
    }

    @Test("past the spool limit new lines are dropped and counted; what was kept still arrives in order")
    func spoolFull() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let queue = try ShipQueue(spoolDirectory: folder.path, limits: .init(maxMemoryLines: 4, maxBatchLines: 4, maxSpoolBytes: 600))
        for start in stride(from: 0, to: 40, by: 4) { queue.append(Self.lines(start..<(start + 4))) }
        #expect(queue.droppedLines > 0)
        let delivered = try Self.drain(queue)
        #expect(delivered.count + queue.droppedLines == 40)
        #expect(delivered == delivered.sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! })
    }

    @Test("one read larger than memory goes to the spool in batches that fit it; only what the spool cannot hold is dropped")
    func bigRead() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let queue = try ShipQueue(spoolDirectory: folder.path, limits: .init(maxMemoryLines: 100, maxSpoolBytes: 30_000))
        queue.append(Self.lines(0..<1000))
        #expect(queue.droppedLines > 0 && queue.spilledLines > 250)
        #expect(queue.spilledLines + queue.pendingLines - queue.spooledLines + queue.droppedLines == 1000)
        let delivered = try Self.drain(queue)
        #expect(delivered == (0..<delivered.count).map { "line \($0)" })
        #expect(delivered.count + queue.droppedLines == 1000)
    }

    @Test("what is still in memory when vigil run gives up is counted as dropped")
    func dropMemory() throws {
        let queue = try ShipQueue(spoolDirectory: nil)
        queue.append(Self.lines(0..<7))
        _ = queue.next()
        #expect(queue.dropMemory() == 7)
        #expect(queue.droppedLines == 7 && queue.isEmpty)
    }

    @Test("without a spool, a full memory drops new lines")
    func noSpool() throws {
        let queue = try ShipQueue(spoolDirectory: nil, limits: .init(maxMemoryLines: 5))
        queue.append(Self.lines(0..<5))
        queue.append(Self.lines(5..<7))
        #expect(queue.droppedLines == 2)
        #expect(try Self.drain(queue).count == 5)
    }

    @Test("a later run finds the spool a run left and sends it first, under the same keys")
    func leftover() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let first = try ShipQueue(spoolDirectory: folder.path, limits: .init(maxBatchLines: 2), runID: "run1")
        first.append(Self.lines(0..<5))
        #expect(first.spillAll() == 5)
        // A half-written spill of a crash is ignored and cleaned.
        try Data("junk".utf8).write(to: URL(fileURLWithPath: folder.file("0000000000000099.1.x.ndjson.tmp")))
        let second = try ShipQueue(spoolDirectory: folder.path, limits: .init(maxBatchLines: 2), runID: "run2")
        second.append(Self.lines(5..<7))
        let key = try #require(second.next()).key
        #expect(key.hasPrefix("run1-"))
        #expect(try Self.drain(second) == (0..<7).map { "line \($0)" })
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("a batch the server refuses for good is dropped and counted")
    func discard() throws {
        let queue = try ShipQueue(spoolDirectory: nil, limits: .init(maxBatchLines: 3))
        queue.append(Self.lines(0..<5))
        let bad = try #require(queue.next())
        queue.discard(bad.key)
        #expect(queue.droppedLines == 3)
        #expect(try Self.drain(queue) == ["line 3", "line 4"])
    }

    @Test("each record is the push format: RFC 3339 time, source, stream, message")
    func record() throws {
        let line = CapturedLine(timestampMillis: 1_796_169_600_250, stream: .stderr, source: .system, message: "a\"b")
        #expect(String(decoding: line.ndjson(), as: UTF8.self)
                == #"{"timestamp":"2026-12-02T00:00:00.250Z","source":"SYSTEM","stream":"stderr","message":"a\"b"}"#)
    }
}
