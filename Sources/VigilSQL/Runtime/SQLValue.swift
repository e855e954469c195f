/// A value as the database hands it over: what runtime functions take and return, and what the result
/// renderer turns into the strings of `data_array`.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public var text: String? {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .null: nil
        }
    }

    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): value.isFinite ? Int64(exactly: value.rounded(.towardZero)) : nil
        case .text(let value): Int64(value)
        case .null: nil
        }
    }

    public var isNull: Bool { self == .null }
}
