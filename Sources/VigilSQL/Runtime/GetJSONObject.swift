import VigilCore

/// Spark's `get_json_object(json, path)`: a JSONPath subset (`$`, `.name`, `['name']`, `[n]`, `[*]`, `.*`).
/// Strings come back unquoted, numbers and booleans as their literal text, objects and arrays as compact JSON;
/// JSON null, a missing member, invalid JSON or an invalid path give nil.
public enum GetJSONObject {
    enum Step: Equatable { case key(String), index(Int), wildcard }

    public static func getJSONObject(_ json: String, path: String) -> String? {
        guard let steps = parse(path: path), let document = try? JSONParser.parse(json) else { return nil }
        var matches = [document]
        var wildcardUsed = false
        for step in steps {
            var next: [JSONValue] = []
            for value in matches {
                switch (step, value) {
                case (.key(let key), .object(let members)):
                    if let member = members.first(where: { $0.key == key }) { next.append(member.value) }
                case (.key(let key), .array(let items)) where wildcardUsed:
                    // After [*], .name applies to each element.
                    for case .object(let members) in items {
                        if let member = members.first(where: { $0.key == key }) { next.append(member.value) }
                    }
                case (.index(let index), .array(let items)):
                    if index >= 0, index < items.count { next.append(items[index]) }
                case (.wildcard, .array(let items)):
                    wildcardUsed = true
                    next.append(contentsOf: items)
                case (.wildcard, .object(let members)):
                    wildcardUsed = true
                    next.append(contentsOf: members.map(\.value))
                default:
                    break
                }
            }
            matches = next
        }
        if wildcardUsed {
            let present = matches.filter { $0 != .null }
            if present.isEmpty { return nil }
            if present.count == 1 { return render(present[0]) }
            return render(.array(present))
        }
        guard let value = matches.first else { return nil }
        return render(value)
    }

    static func render(_ value: JSONValue) -> String? {
        switch value {
        case .null: return nil
        case .string(let text): return text
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .array, .object: return JSONWriter.text(of: value)
        }
    }

    static func parse(path: String) -> [Step]? {
        let characters = Array(path)
        guard characters.first == "$" else { return nil }
        var steps: [Step] = []
        var index = 1
        while index < characters.count {
            switch characters[index] {
            case ".":
                index += 1
                if index < characters.count, characters[index] == "*" {
                    steps.append(.wildcard)
                    index += 1
                    continue
                }
                var name = ""
                while index < characters.count, characters[index] != ".", characters[index] != "[" {
                    name.append(characters[index])
                    index += 1
                }
                guard !name.isEmpty else { return nil }
                steps.append(.key(name))
            case "[":
                index += 1
                guard index < characters.count else { return nil }
                if characters[index] == "'" {
                    index += 1
                    var name = ""
                    while index < characters.count, characters[index] != "'" {
                        name.append(characters[index])
                        index += 1
                    }
                    guard index + 1 < characters.count, characters[index + 1] == "]" else { return nil }
                    index += 2
                    steps.append(.key(name))
                } else if characters[index] == "*" {
                    guard index + 1 < characters.count, characters[index + 1] == "]" else { return nil }
                    index += 2
                    steps.append(.wildcard)
                } else {
                    var digits = ""
                    while index < characters.count, characters[index].isNumber {
                        digits.append(characters[index])
                        index += 1
                    }
                    guard let number = Int(digits), index < characters.count, characters[index] == "]" else { return nil }
                    index += 1
                    steps.append(.index(number))
                }
            default:
                return nil
            }
        }
        return steps
    }
}
