#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import VigilCore

/// Reads one of the child's outputs as fast as the child writes: a reading thread only reads, stamps each read with
/// the time it was read and hands it over; a second thread cuts the reads into lines and gives them to the queue
/// (which never blocks). So the child waits on a `read` loop, not on encoding and spooling: a burst of output is
/// taken in at pipe speed while the lines are prepared behind it. Optionally copies the bytes to this process's own
/// output (`vigil run --tee`).
public enum PipeReader {
    /// Reads taken in but not yet cut into lines are held up to this many bytes; past it the reader waits for the
    /// cutting thread (so memory stays bounded whatever the child writes).
    public static let maxPendingBytes = 64 << 20

    /// A reader running on its thread.
    public final class Handle: Sendable {
        private let ended = Atomic<Bool>(false)
        private let finished = Atomic<Bool>(false)
        private let count = Atomic<Int>(0)
        fileprivate let reads: ReadHandoff

        init(reads: ReadHandoff) {
            self.reads = reads
        }

        /// Stops taking in the output (a process the command left behind holds it open): what was read so far is
        /// still cut into lines and queued, then the handle is finished; later reads are dropped.
        public func stopReading() { reads.stop() }

        /// The output ended (the command and everything that inherited its output closed it); its last reads may
        /// still be being cut into lines.
        public var reachedEnd: Bool { ended.load(ordering: .acquiring) }
        /// The output ended and every line of it is in the queue.
        public var isFinished: Bool { finished.load(ordering: .acquiring) }
        public var lines: Int { count.load(ordering: .relaxed) }

        func read(_ lines: Int) { count.add(lines, ordering: .relaxed) }
        func end() { ended.store(true, ordering: .releasing) }
        func finish() { finished.store(true, ordering: .releasing) }
    }

    /// Starts reading `descriptor` to its end on threads of their own.
    public static func start(_ descriptor: Int32, stream: CapturedLine.Stream, maxLineBytes: Int, queue: ShipQueue, tee: Int32?,
                             clock: any WallClock, notify: @escaping @Sendable () -> Void) -> Handle {
        let reads = ReadHandoff(maxBytes: maxPendingBytes)
        let handle = Handle(reads: reads)
        DetachedThread.start {
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            // A read of less than a quarter of the pipe is a short one (F_GETPIPE_SZ: the pipe may have stayed at
            // the system's default size).
            let pipeBytes = Int(fcntl(descriptor, 1032 /* F_GETPIPE_SZ */))
            let shortRead = pipeBytes > 0 ? pipeBytes / 4 : 16 << 10
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                let now = clock.nowMillis()
                // A chatty child writes a few KiB at a time: reading each at once would wake this thread (and take
                // the child's CPU from it) thousands of times a second. After a short read, let the pipe (1 MiB,
                // see ChildProcess) fill a little; an idle child still finds this thread blocked in `read`.
                if count < shortRead { usleep(500) }
                if let tee { buffer.withUnsafeBytes { Self.writeAll(tee, UnsafeRawBufferPointer(rebasing: $0[0..<count])) } }
                guard reads.put(ReadHandoff.Read(millis: now, bytes: Array(buffer[0..<count]))) else { break }
            }
            close(descriptor)
            reads.end()
            handle.end()
        }
        DetachedThread.start {
            Self.lowerThreadPriority()
            var splitter = LineSplitter(maxLineBytes: maxLineBytes)
            while let taken = reads.take() {
                var captured: [CapturedLine] = []
                for piece in taken {
                    let lines = piece.bytes.withUnsafeBytes { splitter.feed($0) }
                    captured += lines.map { CapturedLine(timestampMillis: piece.millis, stream: stream, message: $0) }
                }
                guard !captured.isEmpty else { continue }
                handle.read(captured.count)
                queue.append(captured)
                notify()
            }
            if let last = splitter.finish() {
                handle.read(1)
                queue.append([CapturedLine(timestampMillis: clock.nowMillis(), stream: stream, message: last)])
                notify()
            }
            handle.finish()
        }
        return handle
    }

    private typealias GetTID = @convention(c) () -> Int32
    /// glibc's `gettid` (2.30 on), which Swift's Glibc module does not export.
    nonisolated(unsafe) private static let gettid: GetTID? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "gettid").map {
        unsafeBitCast($0, to: GetTID.self)
    }

    /// Gives the calling thread nice 10: under contention it yields to the command (and to the reading thread),
    /// yet still gets a share, so a busy machine slows the cutting of lines rather than stopping it.
    static func lowerThreadPriority() {
        guard let gettid else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(gettid()), 10)
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

/// Reads passed from the reading thread to the cutting thread, oldest first, bounded in bytes.
final class ReadHandoff: @unchecked Sendable {
    struct Read {
        var millis: Int64
        var bytes: [UInt8]
    }

    private let condition = ThreadCondition()
    private let maxBytes: Int
    // Guarded by `condition`.
    private var reads: [Read] = []
    private var bytes = 0
    private var ended = false
    private var stopped = false
    // Who waits, so a read wakes the other thread only when it sleeps: the child's output comes in thousands of
    // small reads a second, and a wake-up each would cost more than the reads.
    private var putterWaits = false
    private var takerWaits = false

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// Hands a read over; waits while `maxBytes` are already waiting. False once `stop` was called: the read is
    /// dropped and the reader should stop.
    @discardableResult
    func put(_ read: Read) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while bytes >= maxBytes && !stopped {
            putterWaits = true
            condition.wait()
        }
        putterWaits = false
        guard !stopped else { return false }
        reads.append(read)
        bytes += read.bytes.count
        if takerWaits { condition.broadcast() }
        return true
    }

    /// No more reads will come.
    func end() {
        condition.lock()
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Takes no more reads: those waiting are still taken, then `take` answers nil.
    func stop() {
        condition.lock()
        stopped = true
        ended = true
        condition.broadcast()
        condition.unlock()
    }

    /// Every read waiting (at least one), or nil once the reads have ended and all were taken.
    func take() -> [Read]? {
        condition.lock()
        defer { condition.unlock() }
        while reads.isEmpty && !ended {
            takerWaits = true
            condition.wait()
        }
        takerWaits = false
        guard !reads.isEmpty else { return nil }
        let taken = reads
        reads.removeAll(keepingCapacity: true)
        bytes = 0
        if putterWaits { condition.broadcast() }
        return taken
    }
}
