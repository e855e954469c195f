import AsyncHTTPClient
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilStore

/// Delivers the outbox: due notifications are sent (a few at once), delivered ones marked, failed ones retried on
/// `RetrySchedule` until they succeed or are given up. Wakes when alerts are stored and when the next retry is
/// due; a restart picks up whatever was pending.
public final class NotificationService: Service, Sendable {
    public struct Configuration: Sendable {
        public var retry = RetrySchedule()
        /// How often it looks for retries that came due (new alerts wake it at once).
        public var pollInterval: Duration = .seconds(1)
        public var concurrentDeliveries = 8
        public var batch = 64
        public init() {}
    }

    /// Per destination, since the server started.
    public struct Counters: Sendable, Equatable {
        public var type = ""
        public var delivered: Int64 = 0
        public var retried: Int64 = 0
        public var failed: Int64 = 0
        public var dropped: Int64 = 0
    }

    public let database: VigilDatabase
    public let delivery: NotificationDelivery
    public let configuration: Configuration
    let clock: any WallClock
    let logger: Logger
    private let counters = Mutex<[String: Counters]>([:])
    private let unroutable = Atomic<Int64>(0)
    private let wakeups: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation

    public init(database: VigilDatabase, delivery: NotificationDelivery, configuration: Configuration = .init(), clock: any WallClock, logger: Logger) {
        self.database = database
        self.delivery = delivery
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        (wakeups, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Something was queued: look now rather than at the next poll.
    public func wake() { wakeContinuation.yield() }

    /// References in `notify:` (or the level defaults) that named no destination.
    public func countUnroutable(_ references: [String], alertID: Int64) {
        guard !references.isEmpty else { return }
        unroutable.add(Int64(references.count), ordering: .relaxed)
        logger.warning("An alert names notification destinations that do not exist",
                       metadata: ["alert_id": "\(alertID)", "references": "\(references.map { String($0.prefix(64)) })"])
    }

    public var perDestination: [String: Counters] { counters.withLock { $0 } }
    public var unroutableReferences: Int64 { unroutable.load(ordering: .relaxed) }

    public func outboxCounts() async throws -> [OutboxItem.State: Int] {
        try await database.pool.read { db in try NotificationOutbox.counts(db) }
    }

    public func run() async throws {
        let client = NotificationDelivery.makeClient()
        // A stop cancels deliveries in flight (a receiver that hangs must not hold the server up); what they were
        // sending stays pending and goes out after the restart.
        try? await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in self.wakeups { await self.deliverDue(client: client) }
                }
                // Retries come due with time, not with new alerts: a tick looks again.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.configuration.pollInterval)
                        self.wake()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        try? await client.shutdown()
    }

    /// Sends what is due now, batch after batch.
    public func deliverDue(client: HTTPClient) async {
        while !Task.isCancelled, await deliverBatch(client: client) {}
    }

    /// One batch; true when the batch was full (more may be due).
    func deliverBatch(client: HTTPClient) async -> Bool {
        let now = clock.nowMillis()
        do {
            let (items, unreadable, destinations) = try await database.pool.read { db -> ([OutboxItem], [Int64], [String: Destination]) in
                let (items, unreadable) = try NotificationOutbox.due(db, now: now, limit: configuration.batch)
                var destinations: [String: Destination] = [:]
                for id in Set(items.map(\.destinationID)) { destinations[id] = try DestinationStore.lookup(db, id: id) }
                return (items, unreadable, destinations)
            }
            if !unreadable.isEmpty {
                logger.error("Notifications whose stored notice cannot be read were marked failed", metadata: ["notification_ids": "\(unreadable)"])
                try await database.pool.write { db in
                    for id in unreadable {
                        try NotificationOutbox.finish(db, id: id, state: .failed, attempts: 0, error: "the stored notice could not be read", now: now)
                    }
                }
            }
            // Notices of one destination and group that are due together leave as one message.
            let messages = Self.messages(items, maxAlerts: delivery.grouping.maxAlertsPerMessage)
            let stored = await withTaskGroup(of: Bool.self) { group -> Bool in
                var running = 0
                var allStored = true
                for message in messages {
                    if running == configuration.concurrentDeliveries {
                        allStored = await group.next()! && allStored
                        running -= 1
                    }
                    running += 1
                    group.addTask { await self.attempt(message, destination: destinations[message[0].destinationID], client: client) }
                }
                for await outcome in group { allStored = outcome && allStored }
                return allStored
            }
            // An outcome that could not be stored leaves its row due: wait for the next tick instead of resending now.
            return stored && items.count + unreadable.count == configuration.batch
        } catch {
            logger.error("The notification outbox could not be read", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Due items in messages: those of one destination and group together (in queue order, at most `maxAlerts`
    /// each), the messages in the order of their first item. A retry goes out as the message that failed (its rows
    /// share attempts and time), never joined by fresh rows: a receiver that drops repeats by `X-Vigil-Delivery`
    /// would drop the newcomers with it.
    static func messages(_ items: [OutboxItem], maxAlerts: Int) -> [[OutboxItem]] {
        var messages: [[OutboxItem]] = []
        var open: [String: Int] = [:]
        for item in items {
            let attempt = item.attempts == 0 ? "" : "\u{0}\(item.attempts)\u{0}\(item.nextAttemptMillis)"
            let key = item.destinationID + "\u{0}" + item.groupKey + attempt
            if let index = open[key], messages[index].count < max(maxAlerts, 1) {
                messages[index].append(item)
            } else {
                open[key] = messages.count
                messages.append([item])
            }
        }
        return messages
    }

    /// Sends one message (one or more notifications of a group) and stores the outcome for each; false when the
    /// outcome could not be stored.
    func attempt(_ message: [OutboxItem], destination: Destination?, client: HTTPClient) async -> Bool {
        let first = message[0]
        let attempts = message.map(\.attempts).max()! + 1
        guard let destination else {
            return (try? await finish(message, state: .dropped, attempts: attempts - 1, error: "the destination was deleted", type: "")) != nil
        }
        let outcome = await delivery.send(message.map(\.notice), to: destination, deliveryID: first.notificationID, now: clock.nowMillis(), client: client)
        // Stopped mid-attempt: the notifications stay as they were and are sent after the restart.
        if Task.isCancelled { return true }
        let type = destination.config.type.rawValue
        let ids = message.map(\.notificationID)
        do {
            switch outcome {
            case .delivered:
                try await finish(message, state: .delivered, attempts: attempts, error: nil, type: type)
            case .permanent(let error):
                logger.warning("A notification was refused and will not be retried",
                               metadata: ["notification_ids": "\(ids)", "destination_id": "\(destination.id)", "error": "\(error)"])
                try await finish(message, state: .failed, attempts: attempts, error: error, type: type)
            case .retry(let error, let retryAfter):
                guard let delay = configuration.retry.delay(afterAttempt: attempts, retryAfterMillis: retryAfter) else {
                    logger.warning("A notification was given up after its last attempt",
                                   metadata: ["notification_ids": "\(ids)", "destination_id": "\(destination.id)", "attempts": "\(attempts)", "error": "\(error)"])
                    try await finish(message, state: .failed, attempts: attempts, error: error, type: type)
                    return true
                }
                let next = clock.nowMillis() + delay
                try await database.pool.write { db in
                    for id in ids { try NotificationOutbox.retry(db, id: id, attempts: attempts, error: error, at: next) }
                }
                count(destination.id, type: type) { $0.retried += Int64(ids.count) }
            }
            return true
        } catch {
            logger.error("A notification's outcome could not be stored (it will be sent again)",
                         metadata: ["notification_ids": "\(ids)", "error": "\(error)"])
            return false
        }
    }

    func finish(_ message: [OutboxItem], state: OutboxItem.State, attempts: Int, error: String?, type: String) async throws {
        let now = clock.nowMillis()
        try await database.pool.write { db in
            for item in message {
                try NotificationOutbox.finish(db, id: item.notificationID, state: state, attempts: attempts, error: error, now: now)
            }
        }
        let n = Int64(message.count)
        count(message[0].destinationID, type: type) { counters in
            switch state {
            case .delivered: counters.delivered += n
            case .failed: counters.failed += n
            case .dropped: counters.dropped += n
            case .pending: break
            }
        }
    }

    func count(_ destinationID: String, type: String, _ change: (inout Counters) -> Void) {
        counters.withLock { counters in
            var entry = counters[destinationID] ?? Counters()
            if !type.isEmpty { entry.type = type }
            change(&entry)
            counters[destinationID] = entry
        }
    }
}
