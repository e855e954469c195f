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

/// The ordered outbox of captured lines between the child and the server. It never blocks the writer:
///
/// - lines wait in memory, formed into batches of at most `maxBatchLines` when the shipper asks;
/// - when memory is full (the server is unreachable or slow), everything in memory is written to the spool folder,
///   oldest first, one file per batch, and memory starts over; the spool is always older than memory, so sending
///   the spool first keeps the order;
/// - when the spool is full too (or there is none), new lines are dropped and counted.
///
/// Every batch has a key, kept in its spool file's name, sent as `Idempotency-Key`: a batch resent after a lost
/// answer, a restart of the server or of `vigil run` itself is stored once.
public final class ShipQueue: Sendable {
    public struct Limits: Sendable {
        public var maxMemoryLines: Int
        public var maxMemoryBytes: Int
        public var maxBatchLines: Int
        public var maxBatchBytes: Int
        public var maxSpoolBytes: Int

        /// Batches stay at 1 MiB at most, well under any server's request limit (16 MiB by default).
        public init(maxMemoryLines: Int = 100_000, maxMemoryBytes: Int = 32 << 20, maxBatchLines: Int = 10_000,
                    maxBatchBytes: Int = 1 << 20, maxSpoolBytes: Int = 256 << 20) {
            self.maxMemoryLines = maxMemoryLines
            self.maxMemoryBytes = maxMemoryBytes
            self.maxBatchLines = maxBatchLines
            self.maxBatchBytes = maxBatchBytes
            self.maxSpoolBytes = maxSpoolBytes
        }
    }

    /// Lines ready to send as one push.
    public struct Batch: Sendable, Equatable {
        public var key: String
        public var body: [UInt8]
        public var lines: Int
    }

    struct SpoolFile {
        var sequence: Int
        var key: String
        var lines: Int
        var bytes: Int
        var path: String
    }

    struct State {
        var formed: [Batch] = []
        var open: [CapturedLine] = []
        var openBytes = 0
        var memoryLines = 0
        var memoryBytes = 0
        var spool: [SpoolFile] = []
        var spoolBytes = 0
        var nextSequence = 1
        var nextBatch = 1
        var dropped = 0
        var spilledLines = 0
        var encoder = CapturedLine.Encoder()
    }

    public let limits: Limits
    /// Where batches wait while the server cannot take them; nil = memory only.
    public let spoolDirectory: String?
    private let runID: String
    private let state = Mutex(State())

    /// Opens the queue; batches a previous run left in `spoolDirectory` are sent first.
    public init(spoolDirectory: String?, limits: Limits = Limits(), runID: String = RandomID.hex(byteCount: 8)) throws {
        self.limits = limits
        self.spoolDirectory = spoolDirectory
        self.runID = runID
        guard let spoolDirectory else { return }
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var files: [SpoolFile] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: spoolDirectory) {
            let path = spoolDirectory + "/" + name
            if name.hasSuffix(".tmp") {
                try? FileManager.default.removeItem(atPath: path)  // a spill interrupted before its rename
                continue
            }
            guard let file = Self.spoolFile(name: name, path: path) else { continue }
            files.append(file)
        }
        files.sort { $0.sequence < $1.sequence }
        state.withLock { state in
            state.spool = files
            state.spoolBytes = files.reduce(0) { $0 + $1.bytes }
            state.nextSequence = (files.last?.sequence ?? 0) + 1
        }
    }

    /// `<sequence>.<lines>.<key>.ndjson`
    static func spoolFile(name: String, path: String) -> SpoolFile? {
        let parts = name.split(separator: ".")
        guard parts.count == 4, parts[3] == "ndjson", let sequence = Int(parts[0]), let lines = Int(parts[1]) else { return nil }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return SpoolFile(sequence: sequence, key: String(parts[2]), lines: lines, bytes: bytes ?? 0, path: path)
    }

    /// Adds lines (never blocks on the server; may write to the spool when memory is full).
    public func append(_ lines: [CapturedLine]) {
        guard !lines.isEmpty else { return }
        let bytes = lines.reduce(0) { $0 + Self.cost($1) }
        state.withLock { state in
            state.open += lines
            state.openBytes += bytes
            state.memoryLines += lines.count
            state.memoryBytes += bytes
            guard isOverMemory(state) else { return }
            // Everything in memory, the new lines included, goes to the spool as far as it has room ...
            spill(&state)
            // ... and what neither can hold is the newest: dropped and counted.
            while isOverMemory(state), let last = state.open.popLast() {
                let cost = Self.cost(last)
                state.openBytes -= cost
                state.memoryLines -= 1
                state.memoryBytes -= cost
                state.dropped += 1
            }
        }
    }

    /// The oldest batch to send: a spooled one first, then a formed one, else one formed from the open lines now.
    /// It stays queued until `acknowledge`d, so a failed send retries the same batch with the same key.
    public func next() -> Batch? {
        state.withLock { state in
            if let file = state.spool.first {
                guard let body = FileManager.default.contents(atPath: file.path) else {
                    // Unreadable: count its lines as dropped rather than stall the queue.
                    state.spool.removeFirst()
                    state.spoolBytes -= file.bytes
                    state.dropped += file.lines
                    return nil
                }
                return Batch(key: file.key, body: Array(body), lines: file.lines)
            }
            if let batch = state.formed.first { return batch }
            guard let batch = form(&state) else { return nil }
            state.formed.append(batch)
            return batch
        }
    }

    /// The batch was stored (or is a duplicate of a stored one): forget it.
    public func acknowledge(_ key: String) {
        state.withLock { state in
            if let index = state.formed.firstIndex(where: { $0.key == key }) {
                let batch = state.formed.remove(at: index)
                state.memoryLines -= batch.lines
                state.memoryBytes -= batch.body.count
            } else if let index = state.spool.firstIndex(where: { $0.key == key }) {
                let file = state.spool.remove(at: index)
                state.spoolBytes -= file.bytes
                try? FileManager.default.removeItem(atPath: file.path)
            }
        }
    }

    /// The server refused the batch for good (400): drop it, counting its lines.
    public func discard(_ key: String) {
        let lines = state.withLock { state in
            state.formed.first { $0.key == key }?.lines ?? state.spool.first { $0.key == key }?.lines ?? 0
        }
        acknowledge(key)
        state.withLock { $0.dropped += lines }
    }

    /// Writes everything still in memory to the spool (at exit, when the server could not take it in time).
    /// Returns how many lines are in the spool now.
    @discardableResult
    public func spillAll() -> Int {
        state.withLock { state in
            spill(&state)
            return state.spool.reduce(0) { $0 + $1.lines }
        }
    }

    /// Gives up what is still in memory (at exit, after `spillAll`, when the spool had no room for it): counted as
    /// dropped. Returns how many lines that was.
    @discardableResult
    public func dropMemory() -> Int {
        state.withLock { state in
            let lines = state.memoryLines
            state.formed = []
            state.open = []
            state.openBytes = 0
            state.memoryLines = 0
            state.memoryBytes = 0
            state.dropped += lines
            return lines
        }
    }

    public var isEmpty: Bool { state.withLock { $0.spool.isEmpty && $0.formed.isEmpty && $0.open.isEmpty } }
    /// Lines waiting (memory and spool).
    public var pendingLines: Int { state.withLock { $0.memoryLines + $0.spool.reduce(0) { $0 + $1.lines } } }
    public var spooledLines: Int { state.withLock { $0.spool.reduce(0) { $0 + $1.lines } } }
    /// Lines lost because memory and spool were full (or a spool file could not be read).
    public var droppedLines: Int { state.withLock { $0.dropped } }
    /// Lines written to the spool at some point in this run.
    public var spilledLines: Int { state.withLock { $0.spilledLines } }
    /// When the oldest open (not yet formed) line was read, if any: the shipper waits a moment for more to join it.
    public var oldestOpenMillis: Int64? { state.withLock { $0.open.first?.timestampMillis } }
    public var openLines: Int { state.withLock { $0.open.count } }

    // MARK: - Under the lock

    private func isOverMemory(_ state: State) -> Bool {
        state.memoryLines > limits.maxMemoryLines || state.memoryBytes > limits.maxMemoryBytes
    }

    /// A batch of the oldest open lines, of at most `maxBytes` (default: the batch limit); nil when none fits.
    private func form(_ state: inout State, maxBytes: Int? = nil) -> Batch? {
        guard !state.open.isEmpty else { return nil }
        let byteLimit = min(maxBytes ?? limits.maxBatchBytes, limits.maxBatchBytes)
        var body: [UInt8] = []
        body.reserveCapacity(min(state.openBytes, byteLimit) + 256)
        var count = 0
        for line in state.open {
            guard count < limits.maxBatchLines else { break }
            guard state.encoder.append(line, to: &body, limit: byteLimit) else {
                if count == 0 && maxBytes == nil {
                    // A single line larger than a batch still travels alone.
                    state.encoder.append(line, to: &body)
                    count = 1
                }
                break
            }
            count += 1
        }
        guard count > 0 else { return nil }
        let taken = state.open.prefix(count).reduce(0) { $0 + Self.cost($1) }
        state.open.removeFirst(count)
        state.openBytes -= taken
        // Memory is counted by the batch's body from now on.
        state.memoryBytes += body.count - taken
        let key = "\(runID)-\(state.nextBatch)"
        state.nextBatch += 1
        return Batch(key: key, body: body, lines: count)
    }

    /// Moves every formed batch and every open line to spool files, oldest first, as far as the spool has room (open
    /// lines are cut into batches that fit what is left of it).
    private func spill(_ state: inout State) {
        guard let spoolDirectory else { return }
        while let batch = state.formed.first ?? form(&state, maxBytes: limits.maxSpoolBytes - state.spoolBytes).map({ batch in
            state.formed.append(batch)
            return batch
        }) {
            guard state.spoolBytes + batch.body.count <= limits.maxSpoolBytes else { return }
            let sequence = String(state.nextSequence)
            let name = String(repeating: "0", count: max(0, 16 - sequence.count)) + sequence + ".\(batch.lines).\(batch.key).ndjson"
            let path = spoolDirectory + "/" + name
            guard Self.write(batch.body, to: path) else { return }
            state.spool.append(SpoolFile(sequence: state.nextSequence, key: batch.key, lines: batch.lines, bytes: batch.body.count, path: path))
            state.nextSequence += 1
            state.spoolBytes += batch.body.count
            state.spilledLines += batch.lines
            state.formed.removeFirst()
            state.memoryLines -= batch.lines
            state.memoryBytes -= batch.body.count
        }
    }

    /// Writes a spool file whole (temporary name, fsync, rename): a crash leaves either the file or nothing.
    static func write(_ bytes: [UInt8], to path: String) -> Bool {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        var offset = 0
        let ok: Bool = bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return fsync(descriptor) == 0
        }
        close(descriptor)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    static func cost(_ line: CapturedLine) -> Int { line.message.utf8.count + 96 }
}
