import Foundation
import VigilCore

/// Reads one of the child's outputs on a thread of its own, as fast as the child writes: each read is cut into lines,
/// stamped with the time it was read, and handed to the queue, which never blocks. Optionally copies the bytes to
/// this process's own output (`vigil run --tee`).
public enum PipeReader {
    /// Reads `descriptor` to its end; returns the number of lines read.
    public static func drain(_ descriptor: Int32, stream: CapturedLine.Stream, maxLineBytes: Int, queue: ShipQueue, tee: Int32?,
                             clock: any WallClock, notify: @escaping @Sendable () -> Void) async -> Int {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var splitter = LineSplitter(maxLineBytes: maxLineBytes)
                var buffer = [UInt8](repeating: 0, count: 64 << 10)
                var total = 0
                while true {
                    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                    if count < 0, errno == EINTR { continue }
                    guard count > 0 else { break }
                    let now = clock.nowMillis()
                    let lines = buffer.withUnsafeBytes { splitter.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                    if let tee { buffer.withUnsafeBytes { Self.writeAll(tee, UnsafeRawBufferPointer(rebasing: $0[0..<count])) } }
                    guard !lines.isEmpty else { continue }
                    total += lines.count
                    queue.append(lines.map { CapturedLine(timestampMillis: now, stream: stream, message: $0) })
                    notify()
                }
                if let last = splitter.finish() {
                    total += 1
                    queue.append([CapturedLine(timestampMillis: clock.nowMillis(), stream: stream, message: last)])
                    notify()
                }
                close(descriptor)
                continuation.resume(returning: total)
            }
        }
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
