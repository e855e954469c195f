/// Where rules come from and the ids they run under: an API object (its id) or a file under `--rules-dir` (its
/// path). A document's own `id` wins, then its `name`; a single-document object runs under the object's id.
public enum RuleSource {
    public static func load(_ yaml: String, objectID: String, origin: String) throws(SigmaParseFailure) -> [LoadedRule] {
        let rules = try SigmaParser.parse(yaml)
        return rules.enumerated().map { index, rule in
            let id = rule.id ?? rule.name ?? (rules.count == 1 ? objectID : "\(objectID)#\(index + 1)")
            return LoadedRule(id: id, rule: rule, origin: origin)
        }
    }

    /// The id an API object takes: the rule's own `id` when the body is one document that has one, else `generated`.
    public static func objectID(_ yaml: String, generated: String) throws(SigmaParseFailure) -> String {
        let rules = try SigmaParser.parse(yaml)
        if rules.count == 1, let id = rules[0].id { return id }
        return generated
    }
}
