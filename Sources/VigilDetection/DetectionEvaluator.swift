import VigilCore

/// A rule that fired: which rule, on which events, for which group.
public struct DetectionHit: Sendable, Equatable {
    public struct GroupValue: Sendable, Equatable {
        public var field: String
        public var value: String?

        public init(field: String, value: String?) {
            self.field = field
            self.value = value
        }
    }

    public var ruleID: String
    public var title: String
    public var level: SigmaRule.Level
    public var notify: [String]
    /// `detection` or the correlation type (`event_count`, `value_count`, `temporal`).
    public var kind: String
    /// The events that made it fire, oldest first (at most `DetectionEvaluator.maxEventIDs`).
    public var eventIDs: [String]
    public var group: [GroupValue]
    /// How many events (event_count), distinct values (value_count) or rules (temporal) were counted.
    public var count: Int
    /// The event time of the event that made it fire.
    public var timeMillis: Int64
}

/// Runs a rule set over events one at a time, as they are committed, keeping each correlation's window per group.
/// Pure: time is the events' own `event_time`, so a test replays a stream and gets the same hits.
///
/// A correlation's window holds what happened within `timespan` (inclusive) of the group's newest event; when the
/// condition holds it fires once and starts again empty, so a burst of 500 failed logins against `gte: 10` is 50
/// alerts at most, not 491.
public struct DetectionEvaluator: Sendable {
    public static let maxEventIDs = 100

    struct WindowKey: Hashable {
        let correlation: Int
        let group: [String?]
    }

    struct Window {
        var newest: Int64 = .min
        /// event_count: (time, event id) in arrival order.
        var events: [(Int64, String)] = []
        /// value_count: value → its latest (time, event id).
        var values: [String: (Int64, String)] = [:]
        /// temporal: base rule index → its latest (time, event id).
        var seen: [Int: (Int64, String)] = [:]
    }

    public private(set) var rules: RuleSet
    var windows: [WindowKey: Window] = [:]
    /// The most groups kept across all correlations; past it new groups are not tracked (and counted).
    public let maxGroups: Int
    public private(set) var droppedGroups = 0
    var evaluated = 0

    public init(rules: RuleSet, maxGroups: Int = 100_000) {
        self.rules = rules
        self.maxGroups = maxGroups
    }

    public var trackedGroups: Int { windows.count }

    /// Swaps in new rules, keeping the windows of correlations that are still loaded under the same id.
    public mutating func replace(_ newRules: RuleSet) {
        let oldIDs = rules.rules.map(\.id)
        var kept: [WindowKey: Window] = [:]
        for (key, window) in windows {
            if let index = newRules.rules.firstIndex(where: { $0.id == oldIDs[key.correlation] }),
               newRules.basesOf[index]?.map({ newRules.rules[$0].id }) == rules.basesOf[key.correlation]?.map({ rules.rules[$0].id }) {
                kept[WindowKey(correlation: index, group: key.group)] = window
            }
        }
        rules = newRules
        windows = kept
    }

    public mutating func evaluate(_ event: AuditEvent) -> [DetectionHit] {
        var hits: [DetectionHit] = []
        evaluated += 1
        if evaluated % 10_000 == 0 { sweep(now: event.eventTimeMillis) }
        for index in rules.detectionIndices {
            guard case .detection(let detection) = rules.rules[index].rule.body, detection.matches(event) else { continue }
            if !rules.quiet.contains(index) {
                hits.append(hit(index, kind: "detection", eventIDs: [event.eventID], group: [], count: 1, time: event.eventTimeMillis))
            }
            for correlation in rules.correlationsOf[index] ?? [] {
                if let fired = count(event, base: index, correlation: correlation) { hits.append(fired) }
            }
        }
        return hits
    }

    func hit(_ index: Int, kind: String, eventIDs: [String], group: [DetectionHit.GroupValue], count: Int, time: Int64) -> DetectionHit {
        let loaded = rules.rules[index]
        return DetectionHit(ruleID: loaded.id, title: loaded.rule.title, level: loaded.rule.level, notify: loaded.rule.notify, kind: kind,
                            eventIDs: Array(eventIDs.suffix(Self.maxEventIDs)), group: group, count: count, timeMillis: time)
    }

    mutating func count(_ event: AuditEvent, base: Int, correlation index: Int) -> DetectionHit? {
        guard case .correlation(let correlation) = rules.rules[index].rule.body else { return nil }
        let groupValues = correlation.groupBy.map { $0.value(in: event) }
        let key = WindowKey(correlation: index, group: groupValues)
        if windows[key] == nil, windows.count >= maxGroups {
            sweep(now: event.eventTimeMillis)
            if windows.count >= maxGroups {
                droppedGroups += 1
                return nil
            }
        }
        let time = event.eventTimeMillis
        var window = windows[key] ?? Window()
        window.newest = max(window.newest, time)
        let oldest = window.newest - correlation.timespanMillis
        let group = zip(correlation.groupBy, groupValues).map { DetectionHit.GroupValue(field: $0.0.description, value: $0.1) }
        var fired: DetectionHit?
        switch correlation.kind {
        case .eventCount:
            window.events.append((time, event.eventID))
            window.events.removeAll { $0.0 < oldest }
            if correlation.holds(window.events.count) {
                fired = hit(index, kind: correlation.kind.rawValue, eventIDs: window.events.map(\.1), group: group, count: window.events.count, time: time)
            }
        case .valueCount:
            if let field = correlation.field, let value = field.value(in: event) {
                if (window.values[value]?.0 ?? .min) <= time { window.values[value] = (time, event.eventID) }
            }
            window.values = window.values.filter { $0.value.0 >= oldest }
            if correlation.holds(window.values.count) {
                let ids = window.values.values.sorted { $0.0 < $1.0 }.map(\.1)
                fired = hit(index, kind: correlation.kind.rawValue, eventIDs: ids, group: group, count: window.values.count, time: time)
            }
        case .temporal:
            if (window.seen[base]?.0 ?? .min) <= time { window.seen[base] = (time, event.eventID) }
            window.seen = window.seen.filter { $0.value.0 >= oldest }
            let bases = Set(rules.basesOf[index] ?? [])
            let present = bases.filter { window.seen[$0] != nil }
            if present.count == bases.count, correlation.lower.map({ _ in correlation.holds(present.count) }) ?? true {
                let ids = window.seen.values.sorted { $0.0 < $1.0 }.map(\.1)
                fired = hit(index, kind: correlation.kind.rawValue, eventIDs: ids, group: group, count: present.count, time: time)
            }
        }
        windows[key] = fired == nil ? window : nil
        return fired
    }

    /// Forgets groups whose newest event is older than their correlation's timespan: they can never fire again.
    mutating func sweep(now: Int64) {
        windows = windows.filter { key, window in
            guard case .correlation(let correlation) = rules.rules[key.correlation].rule.body else { return false }
            return window.newest >= now - correlation.timespanMillis
        }
    }
}
