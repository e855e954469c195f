import VigilSQL

/// The last guard between SQLite and a client: every value of a result must be a value of its column's Spark
/// type. An INT or BIGINT column that comes back REAL (SQLite overflowed into floating point) or out of range
/// is ARITHMETIC_OVERFLOW, never a rendering trap or a silently wrong number.
enum ResultCheck {
    static func checked(_ value: SQLValue, as type: SparkType) throws(SQLError) -> SQLValue {
        switch (type, value) {
        case (_, .null):
            return value
        case (.int, .integer(let number)):
            guard Int32(exactly: number) != nil else { throw SQLError(.arithmeticOverflow, "integer overflow") }
            return value
        case (.int, .real(let number)), (.bigint, .real(let number)), (.timestamp, .real(let number)), (.interval, .real(let number)):
            // An exact integer that SQLite handed back as REAL (a CAST of an integral REAL) is kept.
            guard let exact = Int64(exactly: number), type != .int || Int32(exactly: exact) != nil else {
                throw SQLError(.arithmeticOverflow, type == .int ? "integer overflow" : "long overflow")
            }
            return .integer(exact)
        default:
            return value
        }
    }
}
