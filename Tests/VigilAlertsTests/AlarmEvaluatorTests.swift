import Testing
@testable import VigilAlerts

/// CloudWatch's reference tables (monitoring-anchors §3.1) as golden cases: the evaluation range oldest first, `0` a
/// datapoint within the threshold, `X` a breaching one, `-` a period without data; the outcome for each
/// TreatMissingData (missing, ignore, breaching, notBreaching). "retain" keeps the state the alarm was in.
struct AlarmEvaluatorTests {
    static func range(_ text: String) -> [Bool?] {
        text.split(separator: " ").map { $0 == "X" ? true : $0 == "0" ? false : nil }
    }

    static let modes: [AlarmEvaluator.TreatMissingData] = [.missing, .ignore, .breaching, .notBreaching]

    static func check(n: Int, m: Int, _ points: String, _ expected: [String]) {
        for (mode, want) in zip(modes, expected) {
            for current in AlarmEvaluator.State.allCases {
                let got = AlarmEvaluator(evaluationPeriods: n, datapointsToAlarm: m, treatMissingData: mode).next(range(points), current: current)
                let wanted = want == "retain" ? current : AlarmEvaluator.State(rawValue: want)!
                #expect(got == wanted, "N=\(n) M=\(m) '\(points)' \(mode) from \(current): \(got), want \(wanted)")
            }
        }
    }

    @Test("N = M = 3 over a range of 5, each missing-data setting")
    func threeOfThree() {
        Self.check(n: 3, m: 3, "0 - X - X", ["OK", "OK", "OK", "OK"])
        Self.check(n: 3, m: 3, "0 - - - -", ["OK", "OK", "OK", "OK"])
        Self.check(n: 3, m: 3, "- - - - -", ["INSUFFICIENT_DATA", "retain", "ALARM", "OK"])
        Self.check(n: 3, m: 3, "0 X X - X", ["ALARM", "ALARM", "ALARM", "ALARM"])
        Self.check(n: 3, m: 3, "- - X - -", ["ALARM", "retain", "ALARM", "OK"])
    }

    @Test("M = 2 of N = 3")
    func twoOfThree() {
        Self.check(n: 3, m: 2, "0 - X - -", ["OK", "OK", "ALARM", "OK"])
        Self.check(n: 3, m: 2, "- - - - 0", ["OK", "OK", "ALARM", "OK"])
    }

    @Test("one fresh breaching point does not alarm (the oldest breaching point must be M periods old)")
    func premature() {
        let evaluator = AlarmEvaluator(evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: .missing)
        #expect(evaluator.next(Self.range("- - - - X"), current: .ok) == .ok)
        #expect(evaluator.next(Self.range("- - - - X"), current: .insufficientData) == .insufficientData)
        #expect(evaluator.next(Self.range("- - - X -"), current: .ok) == .ok)
        #expect(evaluator.next(Self.range("- - X - -"), current: .ok) == .alarm)
    }

    @Test("with N real points the newest N decide, M of them not necessarily in a row")
    func mOfN() {
        let evaluator = AlarmEvaluator(evaluationPeriods: 5, datapointsToAlarm: 3)
        #expect(evaluator.next(Self.range("X 0 X 0 X 0 0"), current: .ok) == .ok, "the newest five hold two")
        #expect(evaluator.next(Self.range("0 0 X 0 X 0 X"), current: .ok) == .alarm)
        #expect(evaluator.next(Self.range("X X X 0 0 0 0"), current: .alarm) == .ok)
        #expect(evaluator.rangePeriods == 7)
        #expect(AlarmEvaluator(evaluationPeriods: 3, datapointsToAlarm: 3).rangePeriods == 5)
    }
}
