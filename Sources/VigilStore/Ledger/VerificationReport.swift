import VigilCore

/// What `vigil verify` found: every problem with its kind and the sequence range it affects.
public struct VerificationReport: Sendable {
    public enum Kind: String, Sendable {
        /// The stored event does not hash to its ledger leaf.
        case modified
        /// A ledger leaf (or a checkpoint) covers a seq that has no event.
        case missing
        /// An event exists at a seq the ledger has no leaf for.
        case inserted
        /// Two events hash to each other's leaves: they swapped places.
        case reordered
        /// A checkpoint's signature does not verify with any published key.
        case badSignature = "bad signature"
        /// A checkpoint's root does not match the tree, or checkpoints contradict each other.
        case inconsistentCheckpoints = "inconsistent checkpoints"
    }

    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let kind: Kind
        public let range: ClosedRange<UInt64>
        public let detail: String

        public init(kind: Kind, range: ClosedRange<UInt64>, detail: String) {
            self.kind = kind
            self.range = range
            self.detail = detail
        }

        public var description: String {
            let seqs = range.lowerBound == range.upperBound ? "seq \(range.lowerBound)" : "seq \(range.lowerBound) to \(range.upperBound)"
            return "\(seqs): \(kind.rawValue): \(detail)"
        }
    }

    public var problems: [Problem] = []
    /// Leaves (events) examined: max(ledger size, last event seq + 1).
    public var leafCount: UInt64 = 0
    public var invalidLeafCount: UInt64 = 0
    public var checkpointCount = 0
    public var invalidCheckpointCount = 0
    /// Size of the largest valid checkpoint: leaves past it are not yet covered by a signature.
    public var coveredSize: UInt64 = 0
    /// One line per checkpoint, in order.
    public var checkpointLines: [String] = []

    public init() {}

    public var isValid: Bool { problems.isEmpty }
}
