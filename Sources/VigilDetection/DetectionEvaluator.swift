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
    /// The workspace of its events: correlations group per workspace, so a hit never mixes two.
    public var workspaceID: String?
}

/// Runs a rule set over events one at a time, as they are committed, keeping each correlation's window per group.
/// Pure: time is the events' own `event_time`, so a test replays a stream and gets the same hits.
///
/// A correlation's window holds what happened within `timespan` (inclusive) of the group's newest event; when the
/// condition holds it fires once and starts again empty, so a burst of 500 failed logins against `gte: 10` is 50
/// alerts at most, not 491.
public struct DetectionEvaluator: Sendable {
    public static let maxEventIDs = 100
    /// The most values a `vigil_new_value` group remembers (the stalest go first).
    public static let maxKnownValues = 1000

    struct WindowKey: Hashable {
        let correlation: Int
        /// The workspace first (windows never span two), then the group-by values.
        let group: [String?]
    }

    struct Window {
        var newest: Int64 = .min
        /// event_count: (time, event id) in arrival order.
        var events: [(Int64, String)] = []
        /// value_count: value → its latest (time, event id).
        var values: [String: (Int64, String)] = [:]
        /// temporal: base rule id → its latest (time, event id). By id, not index: indices move when rules reload.
        var seen: [String: (Int64, String)] = [:]
    }

    public private(set) var rules: RuleSet
    var windows: [WindowKey: Window] = [:]
    /// The most groups kept across all correlations; past it new groups are not tracked (and counted).
    public let maxGroups: Int
    public private(set) var droppedGroups = 0
    var evaluated = 0
    /// The newest event time seen, the clock sweeps go by (an event's own time can be minutes ahead: ingest allows
    /// clock skew, so sweeps keep `allowedSkewMillis` of slack).
    var newestMillis: Int64 = .min
    public static let allowedSkewMillis: Int64 = 5 * 60_000
    /// At the group limit, a full sweep runs at most once per this many evaluations (a flood of new groups must not
    /// cost a scan of every window each).
    var nextSweepAt = 0
    var lastSweepMillis: Int64 = .min

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
        newestMillis = max(newestMillis, event.eventTimeMillis)
        if evaluated % 10_000 == 0 { sweep() }
        for index in rules.detectionIndices {
            guard case .detection(let detection) = rules.rules[index].rule.body, detection.matches(event) else { continue }
            if !rules.quiet.contains(index) {
                hits.append(hit(index, kind: "detection", eventIDs: [event.eventID], group: [], count: 1, time: event.eventTimeMillis,
                                workspace: event.workspaceID))
            }
            for correlation in rules.correlationsOf[index] ?? [] {
                if let fired = count(event, base: index, correlation: correlation) { hits.append(fired) }
            }
        }
        return hits
    }

    func hit(_ index: Int, kind: String, eventIDs: [String], group: [DetectionHit.GroupValue], count: Int, time: Int64, workspace: String?) -> DetectionHit {
        let loaded = rules.rules[index]
        return DetectionHit(ruleID: loaded.id, title: loaded.rule.title, level: loaded.rule.level, notify: loaded.rule.notify, kind: kind,
                            eventIDs: Array(eventIDs.suffix(Self.maxEventIDs)), group: group, count: count, timeMillis: time,
                            workspaceID: workspace)
    }

    mutating func count(_ event: AuditEvent, base: Int, correlation index: Int) -> DetectionHit? {
        guard case .correlation(let correlation) = rules.rules[index].rule.body else { return nil }
        let groupValues = correlation.groupBy.map { $0.value(in: event) }
        let key = WindowKey(correlation: index, group: [event.workspaceID] + groupValues)
        if windows[key] == nil, windows.count >= maxGroups {
            if evaluated >= nextSweepAt || newestMillis - lastSweepMillis >= 60_000 {
                sweep()
                nextSweepAt = evaluated + 1000
            }
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
                fired = hit(index, kind: correlation.kind.rawValue, eventIDs: window.events.map(\.1), group: group, count: window.events.count, time: time,
                            workspace: event.workspaceID)
            }
        case .valueCount:
            if let field = correlation.field, let value = field.value(in: event) {
                if (window.values[value]?.0 ?? .min) <= time { window.values[value] = (time, event.eventID) }
            }
            window.values = window.values.filter { $0.value.0 >= oldest }
            if correlation.holds(window.values.count) {
                let ids = window.values.values.sorted { $0.0 < $1.0 }.map(\.1)
                fired = hit(index, kind: correlation.kind.rawValue, eventIDs: ids, group: group, count: window.values.count, time: time,
                            workspace: event.workspaceID)
            }
        case .newValue:
            guard let field = correlation.field, let value = field.value(in: event) else { break }
            window.values = window.values.filter { $0.value.0 >= oldest }
            // Only a group with history can see something new: a user's very first login is not an alert.
            if window.values[value] == nil, !window.values.isEmpty {
                fired = hit(index, kind: correlation.kind.rawValue, eventIDs: [event.eventID],
                            group: group + [DetectionHit.GroupValue(field: field.description, value: value)], count: window.values.count + 1,
                            time: time, workspace: event.workspaceID)
            }
            if (window.values[value]?.0 ?? .min) <= time { window.values[value] = (time, event.eventID) }
            if window.values.count > Self.maxKnownValues, let stalest = window.values.min(by: { $0.value.0 < $1.value.0 })?.key {
                window.values[stalest] = nil
            }
        case .temporal:
            let baseID = rules.rules[base].id
            if (window.seen[baseID]?.0 ?? .min) <= time { window.seen[baseID] = (time, event.eventID) }
            window.seen = window.seen.filter { $0.value.0 >= oldest }
            // Sigma: the condition counts the distinct rules matched in the window; without one, all of them.
            let bases = Set((rules.basesOf[index] ?? []).map { rules.rules[$0].id })
            let present = bases.filter { window.seen[$0] != nil }.count
            if correlation.lower == nil ? present == bases.count : correlation.holds(present) {
                let ids = window.seen.values.sorted { $0.0 < $1.0 }.map(\.1)
                fired = hit(index, kind: correlation.kind.rawValue, eventIDs: ids, group: group, count: present, time: time,
                            workspace: event.workspaceID)
            }
        }
        // A firing empties the window, except a new-value one, which must remember the value it just learned.
        windows[key] = fired == nil || correlation.kind == .newValue ? window : nil
        return fired
    }

    /// Forgets groups whose newest event is older than their correlation's timespan (plus the allowed clock skew)
    /// before the newest event seen: they can never fire again.
    mutating func sweep() {
        lastSweepMillis = newestMillis
        let now = newestMillis - Self.allowedSkewMillis
        windows = windows.filter { key, window in
            guard case .correlation(let correlation) = rules.rules[key.correlation].rule.body else { return false }
            return window.newest >= now - correlation.timespanMillis
        }
    }
}
