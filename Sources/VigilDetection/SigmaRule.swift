import VigilCore

/// One Sigma rule document: a detection (selections and a condition) or a correlation over other rules.
public struct SigmaRule: Sendable {
    public enum Level: String, Sendable, CaseIterable, Comparable {
        case informational, low, medium, high, critical

        var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    public enum Body: Sendable {
        case detection(SigmaDetection)
        case correlation(SigmaCorrelation)
    }

    /// `id` (a UUID in Sigma); correlations refer to rules by it or by `name`.
    public var id: String?
    public var name: String?
    public var title: String
    public var level: Level
    public var description: String?
    /// Vigil's custom attribute: the notification destinations to tell, by id (else the level's defaults).
    public var notify: [String]
    public var body: Body
    /// 1-based position of the document in its file (`---` separates them).
    public var document: Int

    public var isCorrelation: Bool {
        if case .correlation = body { return true }
        return false
    }
}

/// `detection:` compiled: each search identifier is a list of alternatives, each an AND of field tests.
public struct SigmaDetection: Sendable {
    let names: [String]
    let identifiers: [[[FieldTest]]]
    let condition: SigmaCondition

    public func matches(_ event: AuditEvent) -> Bool {
        holds(condition, event)
    }

    // Plain recursion and loops, no closures: this runs for every rule on every committed event, and a closure
    // capturing the event copies it (twenty-odd retains and releases) each time.
    private func holds(_ condition: SigmaCondition, _ event: AuditEvent) -> Bool {
        switch condition {
        case .identifier(let index):
            return identifierMatches(index, event)
        case .and(let left, let right):
            if !holds(left, event) { return false }
            return holds(right, event)
        case .or(let left, let right):
            if holds(left, event) { return true }
            return holds(right, event)
        case .not(let inner):
            return !holds(inner, event)
        case .oneOf(let indices):
            for index in indices where identifierMatches(index, event) { return true }
            return false
        case .allOf(let indices):
            for index in indices where !identifierMatches(index, event) { return false }
            return true
        }
    }

    /// Search identifier `index` matches when one of its alternatives has every field test hold.
    private func identifierMatches(_ index: Int, _ event: AuditEvent) -> Bool {
        alternatives: for alternative in identifiers[index] {
            for test in alternative where !test.matches(event) { continue alternatives }
            return true
        }
        return false
    }
}

/// `correlation:` of Sigma's correlation specification, for the types evaluated as events arrive.
public struct SigmaCorrelation: Sendable {
    public enum Kind: String, Sendable {
        case eventCount = "event_count"
        case valueCount = "value_count"
        case temporal
        /// Vigil's extension where Sigma has no new-terms form: fires when `field` takes a value its group has not
        /// had within `timespan` (the lookback), once the group has some history (a known user from a new address).
        case newValue = "vigil_new_value"
    }

    public var kind: Kind
    /// The ids or names of the rules it correlates.
    public var rules: [String]
    public var groupBy: [EventField]
    public var timespanMillis: Int64
    /// The count must be above `lower` (inclusive or not) and, when set, not above `upper`.
    public var lower: (value: Double, inclusive: Bool)?
    public var upper: (value: Double, inclusive: Bool)?
    /// `value_count`: the field whose distinct values are counted; `vigil_new_value`: the field whose new values fire.
    public var field: EventField?
    /// Sigma's `generate`: whether the correlated rules also alert on their own (default false).
    public var generate: Bool

    func holds(_ count: Int) -> Bool {
        let value = Double(count)
        if let lower, lower.inclusive ? value < lower.value : value <= lower.value { return false }
        if let upper, upper.inclusive ? value > upper.value : value >= upper.value { return false }
        return true
    }
}
