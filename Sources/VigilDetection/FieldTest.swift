import Foundation
import VigilCore

/// One `field|modifiers: values` entry of a selection, compiled: the field and a test per value, any of which
/// (or, with `all`, every one of which) must hold.
struct FieldTest: Sendable {
    let field: EventField
    let tests: [ValueTest]
    let matchAll: Bool

    func matches(_ event: AuditEvent) -> Bool {
        // A time window reads the event's time as it is, not formatted and parsed back.
        if field == .eventTime, case .hours(let window)? = tests.first, tests.count == 1 {
            return window.contains(millis: event.eventTimeMillis)
        }
        let value = field.value(in: event)
        // With `all` the first test that fails decides, without it the first that holds.
        for test in tests where test.matches(value) != matchAll { return !matchAll }
        return matchAll
    }
}

/// A compiled regular expression. NSRegularExpression is immutable after creation and safe to share.
struct SharedRegex: @unchecked Sendable {
    let expression: NSRegularExpression

    func matches(_ text: String) -> Bool {
        expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}

enum ValueTest: Sendable {
    /// `field: null`: the event has no value.
    case null
    case glob(Glob)
    case regex(SharedRegex)
    case cidr(CIDR)
    case compare(Comparison, Double)
    /// `field|exists: true|false`.
    case exists(Bool)
    /// `event_time|vigil_hours: "monday:friday 08:00-18:00 Europe/Berlin"` (Vigil's extension).
    case hours(TimeWindow)

    enum Comparison: String, Sendable {
        case lt, lte, gt, gte
    }

    func matches(_ value: String?) -> Bool {
        switch self {
        case .null: return value == nil
        case .exists(let wanted): return (value != nil) == wanted
        case .glob(let glob): return value.map(glob.matches) ?? false
        case .regex(let regex): return value.map(regex.matches) ?? false
        case .cidr(let network): return value.map(network.contains) ?? false
        case .hours(let window): return value.map(window.contains) ?? false
        case .compare(let comparison, let bound):
            guard let value, let number = Double(value) else { return false }
            switch comparison {
            case .lt: return number < bound
            case .lte: return number <= bound
            case .gt: return number > bound
            case .gte: return number >= bound
            }
        }
    }
}
