/// A Spark SQL data type, as the binder infers it and as `manifest.schema.columns` reports it.
///
/// Decimal literals are typed `DOUBLE` (Vigil has no DECIMAL arithmetic); every other type is Spark's own.
public indirect enum SparkType: Sendable, Hashable, CustomStringConvertible {
    case null
    case boolean
    case int
    case bigint
    case double
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
        case .int, .bigint, .double: true
        default: false
        }
    }

    public var isIntegral: Bool { self == .int || self == .bigint }

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
