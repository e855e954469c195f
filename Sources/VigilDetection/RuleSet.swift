/// A rule as loaded: its id in Vigil and where it came from (`api`, or the file under `--rules-dir`).
public struct LoadedRule: Sendable {
    public let id: String
    public let rule: SigmaRule
    public let origin: String

    public init(id: String, rule: SigmaRule, origin: String) {
        self.id = id
        self.rule = rule
        self.origin = origin
    }
}

/// The rules that run together, with every correlation's references resolved to the detection rules it counts.
public struct RuleSet: Sendable {
    public let rules: [LoadedRule]
    /// For each detection rule (by index), the correlations (by index) that count its matches.
    let correlationsOf: [Int: [Int]]
    /// For each correlation, the detection rules it names, in its order.
    let basesOf: [Int: [Int]]
    /// Detection rules that only feed correlations (every correlation naming them has `generate: false`, the default).
    let quiet: Set<Int>
    let detectionIndices: [Int]

    public static let empty = RuleSet(checked: [])

    /// Resolves references; a correlation naming a rule the set lacks, or another correlation, is a problem of
    /// the correlation's origin.
    public init(_ rules: [LoadedRule]) throws(SigmaParseFailure) {
        var problems: [SigmaProblem] = []
        var seen = Set<String>()
        for loaded in rules where !seen.insert(loaded.id).inserted {
            problems.append(SigmaProblem(line: nil, field: "id", "\(loaded.origin): the id '\(loaded.id)' is used by another rule"))
        }
        for (index, loaded) in rules.enumerated() {
            guard case .correlation(let correlation) = loaded.rule.body else { continue }
            for reference in correlation.rules {
                let targets = rules.indices.filter { rules[$0].id == reference || rules[$0].rule.id == reference || rules[$0].rule.name == reference }
                if targets.isEmpty {
                    problems.append(SigmaProblem(line: nil, field: "correlation.rules", "\(loaded.origin): no loaded rule has the id or name '\(reference)'"))
                } else if targets.contains(where: { rules[$0].rule.isCorrelation }) {
                    problems.append(SigmaProblem(line: nil, field: "correlation.rules", "\(loaded.origin): '\(reference)' is a correlation; Vigil correlates detection rules only"))
                } else if targets.contains(index) {
                    problems.append(SigmaProblem(line: nil, field: "correlation.rules", "\(loaded.origin): a correlation cannot name itself"))
                }
            }
        }
        if !problems.isEmpty { throw SigmaParseFailure(problems: problems) }
        self.init(checked: rules)
    }

    init(checked rules: [LoadedRule]) {
        self.rules = rules
        var correlationsOf: [Int: [Int]] = [:]
        var basesOf: [Int: [Int]] = [:]
        var generating = Set<Int>()
        var referenced = Set<Int>()
        for (index, loaded) in rules.enumerated() {
            guard case .correlation(let correlation) = loaded.rule.body else { continue }
            var bases: [Int] = []
            for reference in correlation.rules {
                if let target = rules.indices.first(where: { rules[$0].id == reference || rules[$0].rule.id == reference || rules[$0].rule.name == reference }) {
                    bases.append(target)
                    correlationsOf[target, default: []].append(index)
                    referenced.insert(target)
                    if correlation.generate { generating.insert(target) }
                }
            }
            basesOf[index] = bases
        }
        self.correlationsOf = correlationsOf
        self.basesOf = basesOf
        // A rule is quiet when every correlation naming it says generate: false; one that says true keeps it loud.
        self.quiet = referenced.subtracting(generating)
        self.detectionIndices = rules.indices.filter { !rules[$0].rule.isCorrelation }
    }
}
