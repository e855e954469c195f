/// Counts of what a fuzzing run saw, and the first few inputs of each kind worth a look (an INTERNAL_ERROR is not
/// a crash, but it is an error Vigil failed to name).
struct Tally {
    let kind: String
    var inputs = 0
    var outcomes: [String: Int] = [:]
    var findings: [String] = []
    var findingCount = 0

    init(kind: String) {
        self.kind = kind
    }

    mutating func count(_ outcome: String) {
        outcomes[outcome, default: 0] += 1
    }

    mutating func finding(_ text: String) {
        findingCount += 1
        if findings.count < 20 { findings.append(text) }
    }

    func report(seed: UInt64, seconds: Double) -> String {
        var text = "\(kind): \(inputs) inputs (seed \(seed)) in \(Int(seconds)) s, 0 crashes, \(findingCount) findings\n"
        for (outcome, count) in outcomes.sorted(by: { $0.value > $1.value }) { text += "  \(count)\t\(outcome)\n" }
        for finding in findings { text += "  finding: \(finding)\n" }
        return text
    }
}
