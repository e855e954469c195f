import Hummingbird
import VigilCore

/// Request parsing shared by the SCIM controllers: bodies (SCIM clients send fields Vigil does not keep, so
/// unknown members are ignored, not refused), list parameters and PATCH operations.
enum SCIMRequest {
    static func body(_ request: Request) async throws -> [JSONMember] {
        let bytes = try await RequestBody.collect(request, limit: 1 << 20)
        guard !bytes.isEmpty else { throw VigilError(.invalidParameter, "the request body must be a SCIM JSON object") }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes, rejectsDuplicateKeys: true) } catch { throw VigilError(.invalidParameter, "the request body is not valid JSON: \(error)") }
        guard case .object(let members) = value else { throw VigilError(.invalidParameter, "the request body must be a JSON object") }
        return members
    }

    static func string(_ members: [JSONMember], _ key: String) throws -> String? {
        switch members.first(where: { $0.key.lowercased() == key.lowercased() })?.value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw VigilError(.invalidParameter, "\(key) must be a string, got \(other.typeName)")
        }
    }

    static func bool(_ members: [JSONMember], _ key: String) throws -> Bool? {
        switch members.first(where: { $0.key.lowercased() == key.lowercased() })?.value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case .string(let text)? where text.lowercased() == "true" || text.lowercased() == "false": return text.lowercased() == "true"
        case let other?: throw VigilError(.invalidParameter, "\(key) must be true or false, got \(other.typeName)")
        }
    }

    /// Member ids from `[{"value": "<id>"}, ...]`.
    static func memberIDs(_ value: JSONValue?) throws -> [Int64] {
        guard let value, value != .null else { return [] }
        guard case .array(let items) = value else { throw VigilError(.invalidParameter, "members must be an array of {\"value\": id}") }
        return try items.map { item in
            guard case .string(let text)? = item["value"], let id = Int64(text) else {
                throw VigilError(.invalidParameter, "each member needs a \"value\" holding an id")
            }
            return id
        }
    }

    struct ListParameters {
        var filter: SCIMFilter?
        var startIndex: Int
        var count: Int
        var attributes: Set<String>?
        var excluded: Set<String>?
        var sortBy: String?
        var descending: Bool
    }

    static func listParameters(_ request: Request) throws -> ListParameters {
        let query = try QueryParameters(
            request, allowed: ["filter", "startIndex", "count", "attributes", "excludedAttributes", "sortBy", "sortOrder"])
        let filter = try query.string("filter").map(SCIMFilter.parse)
        let startIndex = try query.integer("startIndex", range: 1...Int(Int32.max)) ?? 1
        let count = try query.integer("count", range: 0...100_000) ?? 10_000
        let sortOrder = try query.string("sortOrder")?.lowercased() ?? "ascending"
        guard sortOrder == "ascending" || sortOrder == "descending" else {
            throw VigilError(.invalidParameter, "sortOrder must be ascending or descending")
        }
        return ListParameters(
            filter: filter, startIndex: startIndex, count: count, attributes: try projection(query.string("attributes")),
            excluded: try projection(query.string("excludedAttributes")), sortBy: try query.string("sortBy"),
            descending: sortOrder == "descending")
    }

    static func projection(_ text: String?) throws -> Set<String>? {
        guard let text, !text.isEmpty else { return nil }
        return Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    struct PatchOperation {
        var op: String
        var path: String?
        var value: JSONValue?
    }

    static func patchOperations(_ members: [JSONMember]) throws -> [PatchOperation] {
        guard case .array(let items)? = members.first(where: { $0.key == "Operations" || $0.key == "operations" })?.value else {
            throw VigilError(.invalidParameter, "a PATCH body needs Operations: [{op, path, value}]")
        }
        return try items.enumerated().map { index, item in
            guard case .string(let op)? = item["op"], ["add", "remove", "replace"].contains(op.lowercased()) else {
                throw VigilError(.invalidParameter, "Operations[\(index)].op must be add, remove or replace")
            }
            var path: String?
            if case .string(let text)? = item["path"] { path = text }
            return PatchOperation(op: op.lowercased(), path: path, value: item["value"])
        }
    }

    /// `members[value eq "123"]` → 123.
    static func memberFilterID(_ path: String) -> Int64? {
        guard path.lowercased().hasPrefix("members[") , path.hasSuffix("]") else { return nil }
        let inner = String(path.dropFirst("members[".count).dropLast())
        guard case .compare(let attribute, "eq", let value)? = try? SCIMFilter.parse(inner), attribute.lowercased() == "value" else { return nil }
        return value.flatMap { Int64($0) }
    }

    /// Applies the list parameters to resources and their filterable attributes.
    static func page(_ items: [(JSONValue, [String: [String]])], _ parameters: ListParameters) -> JSONValue {
        var matching = items.filter { parameters.filter?.matches($0.1) ?? true }
        if let sortBy = parameters.sortBy?.lowercased() {
            matching.sort { ($0.1[sortBy]?.first ?? "") < ($1.1[sortBy]?.first ?? "") }
            if parameters.descending { matching.reverse() }
        }
        let start = parameters.startIndex - 1
        let slice = start < matching.count ? Array(matching[start..<min(matching.count, start + parameters.count)]) : []
        return SCIMJSON.list(
            slice.map { SCIMJSON.project($0.0, attributes: parameters.attributes, excluded: parameters.excluded) },
            total: matching.count, startIndex: parameters.startIndex)
    }

    static func id(_ context: VigilRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text) else {
            throw VigilError(.notFound, "Resource \(context.parameters.get("id")?.prefix(64) ?? "") not found.")
        }
        return id
    }
}
