import Foundation
import VigilCore

/// Alertmanager's route timing for Vigil's own destinations: which alerts share one notification (`group_by`), how
/// long a new group waits for company (`group_wait`), how soon a group that was notified hears of changes again
/// (`group_interval`), and how often an alert still firing is told again (`repeat_interval`). Pure: the outbox asks
/// it when a queued notice may go, and the delivery merges what is due with the same key into one message.
public struct NotificationGrouping: Sendable, Equatable {
    /// Label names whose values make the group; nil is Alertmanager's `...` (every alert alone, today's default),
    /// an empty list puts every alert for a destination in one group.
    public var groupBy: [String]?
    public var groupWaitMillis: Int64
    public var groupIntervalMillis: Int64
    /// 0 never repeats.
    public var repeatIntervalMillis: Int64
    /// The most alerts one message carries (Alertmanager's `max_alerts`; at most the notifier's batch of 64); the
    /// rest go in the next one.
    public var maxAlertsPerMessage: Int

    /// Each alert alone and at once (the latency target is about that), repeated every 4 hours as Alertmanager's
    /// default route does.
    public init(groupBy: [String]? = nil, groupWaitMillis: Int64 = 0, groupIntervalMillis: Int64 = 0,
                repeatIntervalMillis: Int64 = 4 * 3_600_000, maxAlertsPerMessage: Int = 64) {
        self.groupBy = groupBy
        self.groupWaitMillis = groupWaitMillis
        self.groupIntervalMillis = groupIntervalMillis
        self.repeatIntervalMillis = repeatIntervalMillis
        self.maxAlertsPerMessage = maxAlertsPerMessage
    }

    /// Alertmanager's group key shape, `{}:{alertname="brute-force"}`: the values of `groupBy` labels (sorted by
    /// name, a missing label left out); with `...`, every label of the alert, so each alert is its own group.
    public func key(_ notice: AlertNotice) -> String {
        let labels = notice.labels
        let chosen: [AlertNotice.Label]
        if let groupBy {
            let names = Set(groupBy)
            chosen = labels.filter { names.contains($0.name) }
        } else {
            chosen = labels
        }
        let text = chosen.sorted { $0.name < $1.name }.map { "\($0.name)=\(NoticeRendering.quoted($0.value))" }.joined(separator: ", ")
        return "{}:{\(text)}"
    }

    /// The group's labels for a message (`groupLabels`).
    public func labels(_ notice: AlertNotice) -> [AlertNotice.Label] {
        guard let groupBy else { return notice.labels }
        let names = Set(groupBy)
        return notice.labels.filter { names.contains($0.name) }.sorted { $0.name < $1.name }
    }

    /// When a notice queued now may first be sent, given the group's next pending message (`pending`, which it
    /// joins) and its last delivered one (`lastSent`). A firing notice of a group not heard from within
    /// `groupInterval` waits `groupWait` for company; anything else waits for the group's interval to pass.
    public func firstAttempt(now: Int64, status: AlertNotice.Status, pending: Int64?, lastSent: Int64?) -> Int64 {
        if let pending { return max(pending, now) }
        if let lastSent, lastSent + groupIntervalMillis > now { return lastSent + groupIntervalMillis }
        return status == .firing ? now + groupWaitMillis : now
    }

    /// `--notify-group-by alertname,severity`, `...` or an empty value (one group).
    public static func parseGroupBy(_ text: String) throws -> [String]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "..." { return nil }
        let names = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for name in names where name != AlertNotice.labelName(name) {
            throw VigilError(.invalidParameter, "group-by label '\(name.prefix(64))' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        }
        return names
    }
}
