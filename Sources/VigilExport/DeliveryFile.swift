import Crypto
import VigilCore
import VigilStore

/// One file of a delivered batch: its key, its JSON Lines bytes, and what a digest records of it.
public struct DeliveryFile: Sendable, Equatable {
    public var key: String
    public var bytes: [UInt8]
    public var record: DeliveredFileRecord
}

/// What is known of a delivered file without reading it: the digest lists these.
public struct DeliveredFileRecord: Sendable, Equatable {
    public var key: String
    /// Lowercase hex SHA-256 of the file's bytes.
    public var sha256: String
    /// The batch the file belongs to (its name says so too).
    public var batch: ClosedRange<Int64>
    /// The seqs of the file's lines, in order, as runs (a batch's events split by workspace and date).
    public var seqRanges: [ClosedRange<Int64>]
    public var eventCount: Int
    public var oldestEventMillis: Int64
    public var newestEventMillis: Int64

    public init(key: String, sha256: String, batch: ClosedRange<Int64>, seqRanges: [ClosedRange<Int64>], eventCount: Int,
                oldestEventMillis: Int64, newestEventMillis: Int64) {
        self.key = key
        self.sha256 = sha256
        self.batch = batch
        self.seqRanges = seqRanges
        self.eventCount = eventCount
        self.oldestEventMillis = oldestEventMillis
        self.newestEventMillis = newestEventMillis
    }
}

/// Splits a batch of events (every seq of `batch`, in order) into one file per workspace and UTC date. Pure: the
/// same batch always gives the same files, byte for byte, which is what makes a redone batch harmless.
public enum DeliveryBatchBuilder {
    public static func files(batch: ClosedRange<Int64>, events: [StoredEvent]) -> [DeliveryFile] {
        struct Partial {
            var writer = JSONWriter(reservingCapacity: 64 * 1024)
            var ranges: [ClosedRange<Int64>] = []
            var count = 0
            var oldest = Int64.max
            var newest = Int64.min
        }
        // Partials are mutated in place through the array: a copy taken out of a dictionary and written back would
        // share its byte buffer and copy it on every append (quadratic in the file's size).
        var index: [String: Int] = [:]
        var partials: [Partial] = []
        for stored in events {
            let key = DeliveryLayout.logKey(
                workspace: DeliveryLayout.partition(workspaceID: stored.event.workspaceID), date: stored.event.eventDate, batch: batch)
            let position: Int
            if let known = index[key] {
                position = known
            } else {
                position = partials.count
                index[key] = position
                partials.append(Partial())
            }
            stored.event.writeDeliveryJSON(into: &partials[position].writer)
            partials[position].writer.rawBytes("\n")
            if let last = partials[position].ranges.last, last.upperBound + 1 == stored.seq {
                partials[position].ranges[partials[position].ranges.count - 1] = last.lowerBound...stored.seq
            } else {
                partials[position].ranges.append(stored.seq...stored.seq)
            }
            partials[position].count += 1
            partials[position].oldest = min(partials[position].oldest, stored.event.eventTimeMillis)
            partials[position].newest = max(partials[position].newest, stored.event.eventTimeMillis)
        }
        return index.keys.sorted().map { key in
            let partial = partials[index[key]!]
            let bytes = partial.writer.bytes
            return DeliveryFile(key: key, bytes: bytes, record: DeliveredFileRecord(
                key: key, sha256: Hex.encode(SHA256.hash(data: bytes)), batch: batch, seqRanges: partial.ranges,
                eventCount: partial.count, oldestEventMillis: partial.oldest, newestEventMillis: partial.newest))
        }
    }
}
