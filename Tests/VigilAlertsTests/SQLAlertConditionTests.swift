import Testing
import VigilCore
import VigilSQL
@testable import VigilAlerts

/// The Alerts V2 evaluation as a pure function: golden rows for each aggregation and comparison, the empty result,
/// errors, and when to notify (retrigger and notify_on_ok at their edges).
struct SQLAlertConditionTests {
    static let columns = ["user", "n", "label"]
    static let rows: [[SQLValue]] = [
        [.text("alice"), .integer(5), .text("b")], [.text("bob"), .integer(1), .text("a")], [.text("alice"), .real(3.5), .null], [.text("carol"), .null, .text("c")],
    ]

    func state(_ source: String, _ aggregation: SQLAlertCondition.Aggregation?, _ comparison: SQLAlertCondition.Operator,
               _ threshold: SQLAlertCondition.Threshold?, rows: [[SQLValue]] = Self.rows) -> SQLAlertCondition.Outcome {
        SQLAlertCondition(source: .init(column: source, aggregation: aggregation), comparison: comparison, threshold: threshold)
            .evaluate(columns: Self.columns, rows: rows)
    }

    @Test("aggregations over a column (nulls skipped), or the first row without one")
    func aggregations() {
        let mean: Double = 9.5 / 3
        let squares: Double = (5 - mean) * (5 - mean) + (1 - mean) * (1 - mean) + (3.5 - mean) * (3.5 - mean)
        let deviation: Double = (squares / 2).squareRoot()
        let cases: [(SQLAlertCondition.Aggregation?, String?)] = [
            (nil, "5"), (.sum, "9.5"), (.count, "3"), (.avg, String(mean)), (.median, "3.5"), (.min, "1"), (.max, "5"), (.stddev, String(deviation)),
        ]
        for (aggregation, expected) in cases {
            #expect(state("n", aggregation, .isNotNull, nil).value == expected, "\(String(describing: aggregation))")
        }
        #expect(state("user", .countDistinct, .equal, .value(.double(3))).state == .triggered)
        #expect(state("label", .max, .equal, .value(.string("c"))).state == .triggered, "strings compare as strings")
    }

    @Test("each comparison against a number, a string, a boolean and another column")
    func comparisons() {
        let five = SQLAlertCondition.Threshold.value(.double(5))
        #expect(state("n", nil, .greaterThan, five).state == .ok)
        #expect(state("n", nil, .greaterThanOrEqual, five).state == .triggered)
        #expect(state("n", nil, .lessThan, .value(.double(5.5))).state == .triggered)
        #expect(state("n", nil, .lessThanOrEqual, .value(.double(4.9))).state == .ok)
        #expect(state("n", nil, .equal, five).state == .triggered)
        #expect(state("n", nil, .notEqual, five).state == .ok)
        #expect(state("user", nil, .equal, .value(.string("alice"))).state == .triggered)
        #expect(state("n", nil, .equal, .value(.bool(true))).state == .triggered, "a non-zero number is true")
        #expect(state("n", .sum, .greaterThan, .column(name: "n", aggregation: .max)).state == .triggered, "9.5 > 5")
        #expect(state("label", nil, .isNull, nil, rows: [[.text("x"), .integer(1), .null]]).state == .triggered)
        #expect(state("label", nil, .isNotNull, nil, rows: [[.text("x"), .integer(1), .null]]).state == .ok)
        // A null source meets no threshold.
        #expect(state("label", nil, .equal, .value(.string("x")), rows: [[.text("x"), .integer(1), .null]]).state == .ok)
    }

    @Test("an empty result takes empty_result_state; a missing column or a non-number is an ERROR with the reason")
    func emptyAndErrors() {
        let empty = SQLAlertCondition(source: .init(column: "n"), comparison: .greaterThan, threshold: .value(.double(1)), emptyResultState: .triggered)
        #expect(empty.evaluate(columns: Self.columns, rows: []).state == .triggered)
        #expect(state("n", nil, .greaterThan, .value(.double(1)), rows: []).state == .ok, "OK by default")
        let missing = state("nope", nil, .greaterThan, .value(.double(1)))
        #expect(missing.state == .error)
        #expect(missing.error?.contains("no column 'nope' (it has user, n, label)") == true)
        let text = state("user", nil, .greaterThan, .value(.double(1)))
        #expect(text.state == .error)
        #expect(text.error?.contains("'alice' is not a number") == true)
        #expect(state("n", nil, .greaterThan, .value(.bool(true))).error?.contains("EQUAL or NOT_EQUAL") == true)
    }

    @Test("notify on entering TRIGGERED, again only after retrigger_seconds, resolved on OK only with notify_on_ok")
    func notices() {
        typealias C = SQLAlertCondition
        #expect(C.notice(previous: .unknown, next: .triggered, lastFiringNoticeMillis: nil, now: 0, retriggerSeconds: 0, notifyOnOK: false) == .firing)
        #expect(C.notice(previous: .ok, next: .triggered, lastFiringNoticeMillis: 0, now: 10, retriggerSeconds: 0, notifyOnOK: false) == .firing)
        #expect(C.notice(previous: .error, next: .triggered, lastFiringNoticeMillis: nil, now: 10, retriggerSeconds: 0, notifyOnOK: false) == .firing)
        #expect(C.notice(previous: .triggered, next: .triggered, lastFiringNoticeMillis: 0, now: 999_999, retriggerSeconds: 0, notifyOnOK: false) == .none, "0: only once")
        #expect(C.notice(previous: .triggered, next: .triggered, lastFiringNoticeMillis: 1_000, now: 60_999, retriggerSeconds: 60, notifyOnOK: false) == .none)
        #expect(C.notice(previous: .triggered, next: .triggered, lastFiringNoticeMillis: 1_000, now: 61_000, retriggerSeconds: 60, notifyOnOK: false) == .firing)
        #expect(C.notice(previous: .triggered, next: .ok, lastFiringNoticeMillis: 0, now: 5, retriggerSeconds: 0, notifyOnOK: true) == .resolved)
        #expect(C.notice(previous: .triggered, next: .ok, lastFiringNoticeMillis: 0, now: 5, retriggerSeconds: 0, notifyOnOK: false) == .none)
        #expect(C.notice(previous: .ok, next: .ok, lastFiringNoticeMillis: nil, now: 5, retriggerSeconds: 0, notifyOnOK: true) == .none)
        #expect(C.notice(previous: .triggered, next: .error, lastFiringNoticeMillis: 0, now: 5, retriggerSeconds: 0, notifyOnOK: true) == .none)
    }
}
