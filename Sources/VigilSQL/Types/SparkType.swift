/// A Spark SQL data type, as the binder infers it and as `manifest.schema.columns` reports it.
///
/// DECIMAL values are computed as doubles in the backend; the type keeps Spark's precision and scale (its
/// result-type rules included), so results are rounded and printed as Spark prints them.
public indirect enum SparkType: Sendable, Hashable, CustomStringConvertible {
    case null
    case boolean
    case int
    case bigint
    case double
    case decimal(precision: Int, scale: Int)
    case string
    case date
    case timestamp
    /// A day-time interval (`INTERVAL 30 DAYS`); `hasTime` says whether it carries hours, minutes or seconds,
    /// which decides whether `date ± interval` stays a DATE (Spark's `DateAdd`) or becomes a TIMESTAMP.
    case interval(hasTime: Bool)
    case array(SparkType)
    case map(SparkType, SparkType)
    case `struct`([StructField])

    public struct StructField: Sendable, Hashable {
        public var name: String
        public var type: SparkType
        public init(_ name: String, _ type: SparkType) {
            self.name = name
            self.type = type
        }
    }

    /// `type_name` of the Statement Execution API manifest.
    public var typeName: String {
        switch self {
        case .null: "NULL"
        case .boolean: "BOOLEAN"
        case .int: "INT"
        case .bigint: "LONG"
        case .double: "DOUBLE"
        case .decimal: "DECIMAL"
        case .string: "STRING"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        case .interval: "INTERVAL"
        case .array: "ARRAY"
        case .map: "MAP"
        case .struct: "STRUCT"
        }
    }

    /// `type_text`: the DDL spelling Spark prints (`STRUCT<email: STRING, subject_name: STRING>`).
    public var description: String {
        switch self {
        case .null: "VOID"
        case .boolean: "BOOLEAN"
        case .int: "INT"
        case .bigint: "BIGINT"
        case .double: "DOUBLE"
        case .decimal(let precision, let scale): "DECIMAL(\(precision),\(scale))"
        case .string: "STRING"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        case .interval(let hasTime): hasTime ? "INTERVAL DAY TO SECOND" : "INTERVAL DAY"
        case .array(let element): "ARRAY<\(element)>"
        case .map(let key, let value): "MAP<\(key), \(value)>"
        case .struct(let fields): "STRUCT<" + fields.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ">"
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .int, .bigint, .double, .decimal: true
        default: false
        }
    }

    public var isIntegral: Bool { self == .int || self == .bigint }

    public var isDecimal: Bool {
        if case .decimal = self { return true }
        return false
    }

    /// Precision and scale when used in decimal arithmetic: integers widen to DECIMAL(10,0) and DECIMAL(20,0).
    var decimalShape: (precision: Int, scale: Int)? {
        switch self {
        case .decimal(let precision, let scale): (precision, scale)
        case .int: (10, 0)
        case .bigint: (20, 0)
        default: nil
        }
    }

    /// Spark's `DecimalType.bounded` with precision-loss adjustment: at most 38 digits, keeping at least
    /// min(scale, 6) fractional digits.
    static func boundedDecimal(_ precision: Int, _ scale: Int) -> SparkType {
        if precision <= 38 { return .decimal(precision: precision, scale: scale) }
        let integerDigits = precision - scale
        let scale = max(38 - integerDigits, min(scale, 6))
        return .decimal(precision: 38, scale: scale)
    }

    /// Arrays, maps and structs: held as JSON text by the SQLite emitter.
    public var isComplex: Bool {
        switch self {
        case .array, .map, .struct: true
        default: false
        }
    }

    public func field(named name: String) -> StructField? {
        guard case .struct(let fields) = self else { return nil }
        return fields.first { $0.name == name } ?? fields.first { $0.name.lowercased() == name.lowercased() }
    }
}
