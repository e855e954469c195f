import Foundation

/// Parses Spark DDL type strings such as `array<struct<user_name:string,permission_level:string>>`, the
/// schema argument of `from_json` and the target of `CAST`. Keywords are case-insensitive; struct fields
/// accept `name:type` and `name type`, and backquoted names.
extension SparkType {
    public struct DDLError: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        /// Character offset in the DDL string.
        public var offset: Int
        public var description: String { "\(message) at character \(offset + 1) of the type string" }
    }

    public init(ddl text: String) throws(DDLError) {
        var parser = DDLParser(characters: Array(text))
        let type = try parser.parseType()
        parser.skipSpaces()
        if parser.index < parser.characters.count {
            throw DDLError(message: "unexpected '\(parser.characters[parser.index])' after the type", offset: parser.index)
        }
        self = type
    }

    /// A simple type name (`STRING`, `int`, `LONG`...) or nil when the name is not a scalar type.
    static func scalar(named name: String) -> SparkType? {
        switch name.lowercased() {
        case "string", "varchar", "char": .string
        case "int", "integer", "smallint", "tinyint", "short", "byte": .int
        case "bigint", "long": .bigint
        case "double", "float", "real": .double
        case "decimal", "numeric", "dec": .decimal(precision: 10, scale: 0)
        case "boolean", "bool": .boolean
        case "date": .date
        case "timestamp", "timestamp_ltz", "timestamp_ntz": .timestamp
        case "void", "null": .null
        default: nil
        }
    }
}

private struct DDLParser {
    let characters: [Character]
    var index = 0
    /// Nesting of `array<`, `map<` and `struct<` being parsed: a schema string comes from the statement, and
    /// `array<array<…>>` a million deep must be an error, not a stack overflow.
    var depth = 0
    static let maxDepth = 64

    mutating func skipSpaces() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    mutating func word() throws(SparkType.DDLError) -> String {
        skipSpaces()
        if index < characters.count, characters[index] == "`" {
            index += 1
            var name = ""
            while index < characters.count {
                if characters[index] == "`" {
                    if index + 1 < characters.count, characters[index + 1] == "`" {
                        name.append("`")
                        index += 2
                        continue
                    }
                    index += 1
                    return name
                }
                name.append(characters[index])
                index += 1
            }
            throw SparkType.DDLError(message: "unterminated backquoted name", offset: index)
        }
        let start = index
        while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" {
            index += 1
        }
        guard index > start else {
            throw SparkType.DDLError(message: index < characters.count ? "expected a name, got '\(characters[index])'" : "expected a name, got the end", offset: index)
        }
        return String(characters[start..<index])
    }

    mutating func expect(_ character: Character) throws(SparkType.DDLError) {
        skipSpaces()
        guard index < characters.count, characters[index] == character else {
            throw SparkType.DDLError(message: "expected '\(character)'", offset: index)
        }
        index += 1
    }

    mutating func peek(_ character: Character) -> Bool {
        skipSpaces()
        return index < characters.count && characters[index] == character
    }

    mutating func parseType() throws(SparkType.DDLError) -> SparkType {
        let start = index
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else {
            throw SparkType.DDLError(message: "the type nests deeper than \(Self.maxDepth) levels", offset: start)
        }
        let name = try word()
        switch name.lowercased() {
        case "array":
            try expect("<")
            let element = try parseType()
            try expect(">")
            return .array(element)
        case "map":
            try expect("<")
            let key = try parseType()
            try expect(",")
            let value = try parseType()
            try expect(">")
            return .map(key, value)
        case "struct":
            try expect("<")
            var fields: [SparkType.StructField] = []
            if peek(">") {
                index += 1
                return .struct(fields)
            }
            while true {
                let fieldName = try word()
                if peek(":") { index += 1 }
                let fieldType = try parseType()
                fields.append(.init(fieldName, fieldType))
                // `COMMENT '...'` and `NOT NULL` are not part of the dialect.
                if peek(",") {
                    index += 1
                    continue
                }
                try expect(">")
                return .struct(fields)
            }
        default:
            guard let scalar = SparkType.scalar(named: name) else {
                throw SparkType.DDLError(message: "unknown type '\(name)'", offset: start)
            }
            // DECIMAL(10,2) keeps precision and scale; VARCHAR(20) and the like ignore theirs.
            if peek("(") {
                index += 1
                var text = ""
                while index < characters.count, characters[index] != ")" {
                    text.append(characters[index])
                    index += 1
                }
                try expect(")")
                if case .decimal = scalar {
                    let numbers = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                    guard let precision = numbers.first ?? nil, (1...38).contains(precision),
                        numbers.count <= 2, let scale = numbers.count == 2 ? numbers[1] : 0, (0...precision).contains(scale)
                    else { throw SparkType.DDLError(message: "DECIMAL needs (precision 1-38, scale 0-precision)", offset: start) }
                    return .decimal(precision: precision, scale: scale)
                }
            }
            return scalar
        }
    }
}
