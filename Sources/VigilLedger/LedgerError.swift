/// Why a proof, checkpoint or stored ledger state was refused. Messages use got/want wording.
public struct LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let invalidArgument = Code(rawValue: "invalid_argument")
        public static let proofInvalid = Code(rawValue: "proof_invalid")
        public static let badSignature = Code(rawValue: "bad_signature")
        public static let malformedCheckpoint = Code(rawValue: "malformed_checkpoint")
        public static let inconsistent = Code(rawValue: "inconsistent")
        public static let corruptState = Code(rawValue: "corrupt_state")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
