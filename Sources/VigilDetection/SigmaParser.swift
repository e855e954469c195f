import Foundation
import Yams

/// Every problem of a rules file at once, so an author fixes them in one pass.
public struct SigmaParseFailure: Error, Sendable, CustomStringConvertible {
    public var problems: [SigmaProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads Sigma rule documents (specification v2) from YAML. Whatever Vigil does not evaluate is refused by name,
/// never ignored: a rule that loads is a rule that runs as written.
public enum SigmaParser {
    /// The `logsource.product` values whose events Vigil holds.
    public static let products: Set<String> = ["vigil", "databricks"]

    public static func parse(_ yaml: String) throws(SigmaParseFailure) -> [SigmaRule] {
        var problems: [SigmaProblem] = []
        var nodes: [Node] = []
        do {
            var documents = try Yams.compose_all(yaml: yaml)
            while let node = documents.next() { nodes.append(node) }
            if let error = documents.error { problems.append(Self.problem(error, in: yaml)) }
        } catch {
            problems.append(Self.problem(error, in: yaml))
        }
        var rules: [SigmaRule] = []
        if problems.isEmpty, nodes.isEmpty { problems.append(SigmaProblem(line: 1, field: "yaml", "the file holds no rule")) }
        for (index, node) in nodes.enumerated() {
            var reader = RuleReader(document: index + 1, multiple: nodes.count > 1)
            if let rule = reader.rule(node) { rules.append(rule) }
            problems += reader.problems
        }
        if !problems.isEmpty { throw SigmaParseFailure(problems: problems) }
        return rules
    }

    /// Where `key` appears the second time at the indentation of its first appearance (YAML's duplicate-key
    /// error only says where the mapping starts).
    static func secondLine(of key: String, in yaml: String, from line: Int) -> Int? {
        // Any line break (CR LF is one Character, so splitting on "\n" alone would miss it).
        let lines = yaml.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard line >= 1, line <= lines.count else { return nil }
        var indentation: Int?
        for index in (line - 1)..<lines.count {
            let text = lines[index]
            let stripped = text.drop { $0 == " " }
            guard stripped.hasPrefix("\(key):") else { continue }
            let indent = text.count - stripped.count
            if let first = indentation {
                if indent == first { return index + 1 }
            } else {
                indentation = indent
            }
        }
        return nil
    }

    static func problem(_ error: any Error, in text: String) -> SigmaProblem {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                let around = context.map { " (\($0.text))" } ?? ""
                return SigmaProblem(line: mark.line, field: "yaml", "\(problem)\(around) at column \(mark.column)")
            case .duplicatedKeysInMapping(let duplicates, let context):
                let line = duplicates.sorted().first.flatMap { secondLine(of: $0, in: text, from: context.mark.line) } ?? context.mark.line
                return SigmaProblem(line: line, field: duplicates.sorted().joined(separator: ", "),
                                    "appears twice in one mapping (YAML keeps only one; say it once)")
            default:
                break
            }
        }
        return SigmaProblem(line: nil, field: "yaml", "\(error)")
    }
}

/// Walks one document, collecting problems instead of stopping at the first.
struct RuleReader {
    let document: Int
    let multiple: Bool
    var problems: [SigmaProblem] = []
    /// Values compiled so far in this document (bounded: aliases can multiply a small file).
    var valueCount = 0

    mutating func fail(_ node: Node?, _ field: String, _ message: String) {
        let prefix = multiple ? "document \(document): " : ""
        problems.append(SigmaProblem(line: node?.mark?.line, field: field, prefix + message))
    }

    /// The keys of a mapping in order, refusing duplicates (YAML parsers keep the last one silently).
    mutating func members(_ node: Node, _ field: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            fail(node, field, "must be a mapping")
            return nil
        }
        var seen = Set<String>()
        var result: [(String, Node, Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                fail(key, field, "keys must be plain text")
                continue
            }
            if !seen.insert(name).inserted {
                fail(key, field.isEmpty ? name : "\(field).\(name)", "appears twice")
                continue
            }
            result.append((name, key, value))
        }
        return result
    }

    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["~", "null", "Null", "NULL", ""].contains(scalar.string)
    }

    mutating func text(_ node: Node, _ field: String) -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            fail(node, field, "must be text")
            return nil
        }
        return scalar.string
    }

    mutating func texts(_ node: Node, _ field: String) -> [String]? {
        if case .scalar = node { return text(node, field).map { [$0] } }
        guard case .sequence(let sequence) = node else {
            fail(node, field, "must be a list of text")
            return nil
        }
        var result: [String] = []
        for item in sequence {
            guard let value = text(item, field) else { return nil }
            result.append(value)
        }
        return result
    }

    mutating func rule(_ node: Node) -> SigmaRule? {
        guard let keys = members(node, "") else { return nil }
        let value = { (name: String) in keys.first { $0.key == name }?.value }
        let title = value("title").flatMap { text($0, "title") }
        if value("title") == nil { fail(node, "title", "is required") }
        var level = SigmaRule.Level.medium
        if let node = value("level"), let name = text(node, "level") {
            if let known = SigmaRule.Level(rawValue: name) {
                level = known
            } else {
                fail(node, "level", "'\(name)' is not a Sigma level; use one of \(SigmaRule.Level.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let id = value("id").flatMap { text($0, "id") }
        let name = value("name").flatMap { text($0, "name") }
        for (field, text) in [("id", id), ("name", name)] {
            if let text, text.isEmpty || text.count > 128 || text.contains(where: { $0.isWhitespace || $0 == "/" }) {
                fail(value(field), field, "must be 1 to 128 characters without spaces or '/'")
            }
        }
        let notify = value("notify").flatMap { texts($0, "notify") } ?? []
        let description = value("description").flatMap { text($0, "description") }
        var body: SigmaRule.Body?
        switch (value("detection"), value("correlation")) {
        case (let detection?, nil):
            if let logsource = value("logsource") { check(logsource: logsource) } else { fail(node, "logsource", "is required") }
            body = self.detection(detection).map { .detection($0) }
        case (nil, let correlation?):
            body = self.correlation(correlation, generate: value("generate")).map { .correlation($0) }
        case (nil, nil):
            fail(node, "detection", "is required (or correlation, for a correlation rule)")
        case (_, let correlation?):
            fail(correlation, "correlation", "a rule has detection or correlation, not both")
        }
        for unsupported in ["aliases", "timeframe"] where value(unsupported) != nil {
            fail(value(unsupported), unsupported, "is not supported by Vigil")
        }
        guard problems.isEmpty, let title, let body else { return nil }
        return SigmaRule(id: id, name: name, title: title, level: level, description: description, notify: notify, body: body, document: document)
    }

    mutating func check(logsource node: Node) {
        guard let keys = members(node, "logsource") else { return }
        for (key, keyNode, value) in keys {
            guard ["category", "product", "service", "definition"].contains(key) else {
                fail(keyNode, "logsource.\(key)", "is not a logsource key (category, product, service, definition)")
                continue
            }
            if key == "product", let product = text(value, "logsource.product"), !SigmaParser.products.contains(product.lowercased()) {
                fail(value, "logsource.product", "'\(product)' is not a source Vigil holds; use \(SigmaParser.products.sorted().joined(separator: " or ")) (rules run over system.access.audit)")
            }
        }
    }
}
