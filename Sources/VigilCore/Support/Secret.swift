/// A secret (a token) that never prints itself: string interpolation, `print` and log metadata all show
/// `<redacted>`. Read the value only through `revealedValue`, at the one place that needs it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let revealedValue: String

    public init(_ value: String) { self.revealedValue = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
