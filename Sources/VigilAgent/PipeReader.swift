import Foundation
import Synchronization
import VigilCore

/// Reads one of the child's outputs on a thread of its own, as fast as the child writes: each read is cut into lines,
/// stamped with the time it was read, and handed to the queue, which never blocks. Optionally copies the bytes to
/// this process's own output (`vigil run --tee`).
public enum PipeReader {
    /// A reader running on its thread.
    public final class Handle: Sendable {
        private let finished = Atomic<Bool>(false)
        private let count = Atomic<Int>(0)

        /// The output ended (the command and everything that inherited its output closed it).
        public var isFinished: Bool { finished.load(ordering: .acquiring) }
        public var lines: Int { count.load(ordering: .relaxed) }

        func read(_ lines: Int) { count.add(lines, ordering: .relaxed) }
        func finish() { finished.store(true, ordering: .releasing) }
    }

    /// Starts reading `descriptor` to its end on a thread of its own.
    public static func start(_ descriptor: Int32, stream: CapturedLine.Stream, maxLineBytes: Int, queue: ShipQueue, tee: Int32?,
                             clock: any WallClock, notify: @escaping @Sendable () -> Void) -> Handle {
        let handle = Handle()
        Thread.detachNewThread {
            var splitter = LineSplitter(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                let now = clock.nowMillis()
                let lines = buffer.withUnsafeBytes { splitter.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                if let tee { buffer.withUnsafeBytes { Self.writeAll(tee, UnsafeRawBufferPointer(rebasing: $0[0..<count])) } }
                guard !lines.isEmpty else { continue }
                handle.read(lines.count)
                queue.append(lines.map { CapturedLine(timestampMillis: now, stream: stream, message: $0) })
                notify()
            }
            if let last = splitter.finish() {
                handle.read(1)
                queue.append([CapturedLine(timestampMillis: clock.nowMillis(), stream: stream, message: last)])
                notify()
            }
            close(descriptor)
            handle.finish()
        }
        return handle
    }

    /// Reads `descriptor` to its end; returns the number of lines read.
    public static func drain(_ descriptor: Int32, stream: CapturedLine.Stream, maxLineBytes: Int, queue: ShipQueue, tee: Int32?,
                             clock: any WallClock, notify: @escaping @Sendable () -> Void) async -> Int {
        let handle = start(descriptor, stream: stream, maxLineBytes: maxLineBytes, queue: queue, tee: tee, clock: clock, notify: notify)
        while !handle.isFinished { try? await Task.sleep(for: .milliseconds(5)) }
        return handle.lines
    }

    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
