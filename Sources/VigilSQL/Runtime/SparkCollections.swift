import VigilCore

/// Array and map functions over Vigil's JSON representation, with Spark's ordering: NULL before everything
/// when ascending, numbers by value, strings by their UTF-8 bytes, false before true.
public enum SparkCollections {
    /// `sort_asc`, `sort_desc` (sort_array), `sort_nulls_last` (array_sort), `distinct`, `map_keys`, `map_values`,
    /// `map_size`. nil for input that is not the expected JSON.
    public static func apply(_ operation: String, _ json: String) -> String? {
        guard let value = try? JSONParser.parse(json) else { return nil }
        switch (operation, value) {
        case ("sort_asc", .array(let items)): return JSONWriter.text(of: .array(items.sorted(by: ascending)))
        case ("sort_desc", .array(let items)): return JSONWriter.text(of: .array(items.sorted { ascending($1, $0) }))
        case ("sort_nulls_last", .array(let items)):
            let present = items.filter { $0 != .null }.sorted(by: ascending)
            return JSONWriter.text(of: .array(present + items.filter { $0 == .null }))
        case ("distinct", .array(let items)):
            // Hashed on a canonical key (numbers by value), so a million-element array is not a trillion comparisons.
            var seen = Set<String>()
            var kept: [JSONValue] = []
            for item in items where seen.insert(distinctKey(item)).inserted { kept.append(item) }
            return JSONWriter.text(of: .array(kept))
        case ("map_keys", .object(let members)): return JSONWriter.text(of: .array(members.map { .string($0.key) }))
        case ("map_values", .object(let members)): return JSONWriter.text(of: .array(members.map(\.value)))
        case ("map_size", .object(let members)): return String(members.count)
        default: return nil
        }
    }

    /// array_contains: true/false, or nil (NULL) when not found and the array holds a NULL, as Spark.
    public static func contains(_ json: String, _ value: SQLValue) -> Bool? {
        guard case .array(let items)? = try? JSONParser.parse(json) else { return nil }
        let wanted: JSONValue =
            switch value {
            case .null: .null
            case .integer(let number): .number(String(number))
            case .real(let number): .number(String(number))
            case .text(let text): (try? JSONParser.parse(text)).flatMap { value -> JSONValue? in
                if case .array = value { return value }
                if case .object = value { return value }
                return nil
            } ?? .string(text)
            }
        if items.contains(where: { equal($0, wanted) }) { return true }
        return items.contains(.null) ? nil : false
    }

    /// array_min / array_max, skipping NULLs.
    public static func extreme(_ json: String, maximum: Bool) -> JSONValue? {
        guard case .array(let items)? = try? JSONParser.parse(json) else { return nil }
        let present = items.filter { $0 != .null }
        return maximum ? present.max(by: ascending) : present.min(by: ascending)
    }

    /// Equal keys for values `equal` calls equal.
    static func distinctKey(_ value: JSONValue) -> String {
        if case .number(let text) = value, let number = Double(text) { return "n\(number)" }
        return "j" + JSONWriter.text(of: value)
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return Double(x) == Double(y) }
        return a == b
    }

    static func ascending(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return false
        case (.null, _): return true
        case (_, .null): return false
        case (.number(let x), .number(let y)): return (Double(x) ?? 0) < (Double(y) ?? 0)
        case (.string(let x), .string(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case (.bool(let x), .bool(let y)): return !x && y
        default: return JSONWriter.text(of: a) < JSONWriter.text(of: b)
        }
    }
}
