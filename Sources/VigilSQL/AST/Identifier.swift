/// A name as written. Spark resolves names case-insensitively; `name` keeps the spelling for output column
/// names. Equality ignores where the name was written and whether it was backquoted.
public struct Identifier: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var position: SourcePosition

    public init(_ name: String, at position: SourcePosition = .start) {
        self.name = name
        self.position = position
    }

    public var lowered: String { name.lowercased() }
    public var description: String { name }

    public static func == (lhs: Identifier, rhs: Identifier) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
