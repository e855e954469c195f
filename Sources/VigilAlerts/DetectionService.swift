import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilDetection
import VigilStore

/// Runs the loaded Sigma rules over every event the sequencer commits (never by polling the table): the commit
/// path only hands the events over; this service's loop evaluates them, stores each firing in `alert_history`
/// and has it audited (`vigil`/`alertTriggered`). It also watches `--rules-dir` and reloads a file when it changes;
/// a file with problems is refused and the rules it had before keep running.
public final class DetectionService: Service, Sendable {
    public struct Configuration: Sendable {
        public var rulesDirectory: String?
        /// How often `rulesDirectory` is checked for changes.
        public var pollInterval: Duration = .seconds(2)
        /// Events waiting for evaluation; past it new events are not evaluated (and counted).
        public var maxQueuedEvents = 200_000
        public var maxGroups = 100_000
        /// How long after firing a detection alert resolves (`--alert-resolve-after`).
        public var resolveAfter: Duration = .seconds(15 * 60)
        /// How often alerts are checked for resolution.
        public var resolveInterval: Duration = .seconds(5)
        /// At most this many alerts per rule per minute (`--detection-alert-limit`; 0 = no limit).
        public var maxAlertsPerRulePerMinute = 600

        public init(rulesDirectory: String? = nil) {
            self.rulesDirectory = rulesDirectory
        }
    }

    /// What `/metrics` shows.
    public struct Stats: Sendable {
        public var evaluated: Int64 = 0
        public var dropped: Int64 = 0
        public var fired: Int64 = 0
        public var queued = 0
        public var rules = 0
        public var trackedGroups = 0
        public var droppedGroups = 0
        public var fileErrors = 0
        public var reloads: Int64 = 0
        public var resolved: Int64 = 0
        /// Firing notices queued again by the repeat interval.
        public var repeated: Int64 = 0
        /// Firings not stored because their rule passed its alert limit, by rule.
        public var suppressed: [String: Int64] = [:]
    }

    struct FileState {
        var signature: String
        var rules: [LoadedRule]
        var problems: [String]
    }

    struct State {
        var queue: [CommittedEvent] = []
        var stats = Stats()
        var limit: AlertRateLimit
        /// When each rule's suppression was last logged, and its total then (logged again a minute later, only if
        /// it grew).
        var suppressionLogged: [String: (time: Int64, total: Int64)] = [:]
        var files: [String: FileState] = [:]
        var apiRules: [String: [LoadedRule]] = [:]
        /// Stored firings waiting to be told to `fired` (audited), in the order they were stored.
        var unannounced: [AlertRecord] = []
    }

    public let store: DetectionStore
    let configuration: Configuration
    let logger: Logger
    /// Told of new firings the moment they are stored, on the evaluation path: it must only hand them off (the
    /// server wakes the notifier; their notifications were queued with them).
    let stored: @Sendable ([AlertRecord]) -> Void
    /// Tells the world of new firings and resolutions (the server audits them, a commit behind any queued ingest).
    /// Firings go through a loop of their own, so evaluation never waits for that commit.
    let fired: @Sendable ([AlertRecord]) async -> Void
    let resolved: @Sendable ([AlertRecord]) async -> Void
    private let state: Mutex<State>
    private let evaluator: Mutex<DetectionEvaluator>
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    private let announcements: AsyncStream<Void>
    private let announce: AsyncStream<Void>.Continuation
    /// Rule changes (API writes, file scans, reloads) one at a time: a check, a store and a reload belong together.
    private let changes = SerialGate()

    public init(store: DetectionStore, configuration: Configuration, logger: Logger,
                stored: @escaping @Sendable ([AlertRecord]) -> Void = { _ in },
                fired: @escaping @Sendable ([AlertRecord]) async -> Void,
                resolved: @escaping @Sendable ([AlertRecord]) async -> Void = { _ in }) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        self.stored = stored
        self.fired = fired
        self.resolved = resolved
        self.evaluator = Mutex(DetectionEvaluator(rules: .empty, maxGroups: configuration.maxGroups))
        self.state = Mutex(State(limit: AlertRateLimit(perMinute: configuration.maxAlertsPerRulePerMinute)))
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (announcements, announce) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var stats: Stats {
        var stats = state.withLock { state in
            var stats = state.stats
            stats.queued = state.queue.count
            stats.suppressed = state.limit.suppressed
            stats.fileErrors = state.files.values.filter { !$0.problems.isEmpty }.count
            return stats
        }
        evaluator.withLock { evaluator in
            stats.rules = evaluator.rules.rules.count
            stats.trackedGroups = evaluator.trackedGroups
            stats.droppedGroups = evaluator.droppedGroups
        }
        return stats
    }

    /// The rules running now.
    public var loadedRules: [LoadedRule] { evaluator.withLock { $0.rules.rules } }

    /// Problems of rule files that were refused, by path.
    public var fileProblems: [String: [String]] {
        state.withLock { $0.files.filter { !$0.value.problems.isEmpty }.mapValues(\.problems) }
    }

    /// The sequencer's commit listener: queue and return.
    public func enqueue(_ events: [CommittedEvent]) {
        let accepted = state.withLock { state -> Bool in
            guard state.queue.count + events.count <= configuration.maxQueuedEvents else {
                state.stats.dropped += Int64(events.count)
                return false
            }
            state.queue.append(contentsOf: events)
            return true
        }
        if accepted { wake.yield() }
    }

    public func run() async throws {
        // The server loaded the rules before it started; this picks up what changed since (a failure is logged).
        try? await reload()
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in self.wakeups { await self.drain() }
                }
                group.addTask {
                    for await _ in self.announcements { await self.announceStored() }
                }
                if let directory = configuration.rulesDirectory {
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: self.configuration.pollInterval)
                            if Task.isCancelled { break }
                            _ = try? await self.change {
                                if self.scanFiles(directory) { try await self.reloadNow() }
                            }
                        }
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: self.configuration.resolveInterval)
                        if Task.isCancelled { break }
                        await self.resolveDue()
                        await self.repeatDue()
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            // Only the evaluation loop ends here; its end cancels the others. The announcement loop is not finished
            // too: ending first, it would cancel an evaluation pass midway and lose its firings.
            self.wake.finish()
        }
        await drain()
        await announceStored()
    }

    /// Tells `fired` of the stored firings not yet told, batch after batch.
    func announceStored() async {
        while true {
            let records = state.withLock { state -> [AlertRecord] in
                defer { state.unannounced = [] }
                return state.unannounced
            }
            if records.isEmpty { return }
            await fired(records)
        }
    }

    /// Resolves the alerts whose time has come and tells the world.
    public func resolveDue() async {
        do {
            while true {
                let alerts = try await store.resolveDue()
                if alerts.isEmpty { return }
                state.withLock { $0.stats.resolved += Int64(alerts.count) }
                await resolved(alerts)
            }
        } catch {
            logger.error("Detection alerts could not be resolved", metadata: ["error": "\(error)"])
        }
    }

    /// Tells again of alerts still firing after the repeat interval (the notifier's next tick sends them).
    public func repeatDue() async {
        do {
            let queued = try await store.enqueueRepeats()
            if queued > 0 { state.withLock { $0.stats.repeated += Int64(queued) } }
        } catch {
            logger.error("Firing alerts could not be repeated", metadata: ["error": "\(error)"])
        }
    }

    func drain() async {
        while true {
            let batch = state.withLock { state -> [CommittedEvent] in
                let taken = state.queue
                state.queue = []
                return taken
            }
            if batch.isEmpty { return }
            var hits: [DetectionHit] = []
            // A thousand events per lock: a scrape, a reload or a rule listing never waits for a whole backlog.
            var start = 0
            while start < batch.count {
                let chunk = batch[start..<min(start + 1000, batch.count)]
                start += chunk.count
                evaluator.withLock { evaluator in
                    for committed in chunk {
                        // A firing's own audit record is not evaluated again: a rule matching it would fire forever. Only
                        // Vigil's own: a producer's event with the same names is evaluated like any other.
                        if committed.fromVigil, committed.event.serviceName == "vigil", Self.alertRecords.contains(committed.event.actionName) { continue }
                        hits += evaluator.evaluate(committed.event)
                    }
                }
            }
            state.withLock { $0.stats.evaluated += Int64(batch.count) }
            guard !hits.isEmpty else { continue }
            hits = admit(hits)
            guard !hits.isEmpty else { continue }
            do {
                let records = try await store.record(hits)
                state.withLock { state in
                    state.stats.fired += Int64(records.count)
                    state.unannounced += records
                }
                stored(records)
                announce.yield()
            } catch {
                logger.error("Detection firings could not be stored", metadata: ["error": "\(error)", "count": "\(hits.count)"])
            }
        }
    }

    /// Vigil's own records of alert transitions, never evaluated (a rule matching them would feed on itself).
    public static let alertRecords: Set = ["alertTriggered", "alertSilenced", "alertResolved"]

    /// The hits their rules' alert limit lets through; the rest are counted, and logged once a minute per rule.
    func admit(_ hits: [DetectionHit]) -> [DetectionHit] {
        let now = store.clock.nowMillis()
        let (admitted, newlyLogged) = state.withLock { state -> ([DetectionHit], [(String, Int64)]) in
            let admitted = hits.filter { state.limit.admit($0.ruleID, now: now) }
            var logged: [(String, Int64)] = []
            for rule in Set(hits.map(\.ruleID)) {
                let total = state.limit.suppressed[rule] ?? 0
                let last = state.suppressionLogged[rule]
                guard total > (last?.total ?? 0), now - (last?.time ?? .min / 2) >= 60_000 else { continue }
                state.suppressionLogged[rule] = (now, total)
                logged.append((rule, total))
            }
            return (admitted, logged)
        }
        for (rule, count) in newlyLogged {
            logger.warning("A detection rule passed its alert limit; further firings are counted, not stored",
                           metadata: ["rule_id": "\(rule)", "suppressed_total": "\(count)", "limit_per_minute": "\(configuration.maxAlertsPerRulePerMinute)"])
        }
        return admitted
    }

    // MARK: Rules

    /// Runs `body` (check, store, reload) while no other rule change runs.
    public func change<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await changes.run(body)
    }

    /// `reloadNow` as a change of its own.
    public func reload() async throws {
        try await change { try await self.reloadNow() }
    }

    /// Builds the rule set from the API's rules and the files, and swaps it in (keeping the windows of
    /// correlations that stayed). A set whose references do not resolve is refused and the old one keeps running.
    /// Call it inside `change`.
    public func reloadNow() async throws {
        let texts = try await store.all()
        var api: [String: [LoadedRule]] = [:]
        for text in texts {
            do throws(SigmaParseFailure) {
                api[text.id] = try RuleSource.load(text.yaml, objectID: text.id, origin: "api:\(text.id)")
            } catch {
                logger.error("A stored detection rule no longer loads", metadata: ["rule_id": "\(text.id)", "problems": "\(error)"])
            }
        }
        if let directory = configuration.rulesDirectory { _ = scanFiles(directory) }
        let rules = state.withLock { state in
            state.apiRules = api
            return state.apiRules.keys.sorted().flatMap { state.apiRules[$0] ?? [] }
                + state.files.keys.sorted().flatMap { state.files[$0]?.rules ?? [] }
        }
        let set: RuleSet
        do throws(SigmaParseFailure) {
            set = try RuleSet(rules)
        } catch {
            logger.error("The detection rules do not load together; the previous rules keep running", metadata: ["problems": "\(error)"])
            throw VigilError(.invalidParameter, "the rules do not load together: \(error)")
        }
        evaluator.withLock { $0.replace(set) }
        state.withLock { $0.limit.keep(only: Set(set.rules.map(\.id))) }
        state.withLock { $0.stats.reloads += 1 }
        logger.info("Detection rules loaded", metadata: ["rules": "\(set.rules.count)"])
    }

    /// The rules that would run if the API object `id` held `yaml` (nil: were deleted): what create, update and
    /// delete check before they store anything.
    public func check(replacing id: String, with yaml: String?) throws -> [LoadedRule] {
        var candidate: [LoadedRule] = []
        if let yaml {
            do throws(SigmaParseFailure) {
                candidate = try RuleSource.load(yaml, objectID: id, origin: "api:\(id)")
            } catch {
                throw VigilError(.invalidParameter, "the rule has problems:\n\(error)")
            }
        }
        let others = state.withLock { state in
            state.apiRules.filter { $0.key != id }.sorted { $0.key < $1.key }.flatMap(\.value)
                + state.files.keys.sorted().flatMap { state.files[$0]?.rules ?? [] }
        }
        do throws(SigmaParseFailure) {
            _ = try RuleSet(others + candidate)
        } catch {
            throw VigilError(.invalidParameter, "the rule does not load with the others: \(error)")
        }
        return candidate
    }

    /// Re-reads changed `*.yml`/`*.yaml` files under `directory`; true when anything changed.
    func scanFiles(_ directory: String) -> Bool {
        let manager = FileManager.default
        // Hidden entries are skipped: a Kubernetes ConfigMap mount holds every file twice, once under `..data/`.
        let paths = ((try? manager.subpathsOfDirectory(atPath: directory)) ?? [])
            .filter { ($0.hasSuffix(".yml") || $0.hasSuffix(".yaml")) && !$0.split(separator: "/").contains { $0.hasPrefix(".") } }.sorted()
        var changed = false
        var seen = Set<String>()
        for path in paths {
            let full = directory + "/" + path
            guard let attributes = try? manager.attributesOfItem(atPath: full) else { continue }
            seen.insert(path)
            let signature = "\((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\(attributes[.size] as? Int ?? 0)"
            if state.withLock({ $0.files[path]?.signature }) == signature { continue }
            changed = true
            // The path without its extension: `a/x.yml` and `b/x.yml` are two objects.
            let objectID = String(path[..<(path.lastIndex(of: ".") ?? path.endIndex)])
            do {
                let yaml = try String(contentsOfFile: full, encoding: .utf8)
                let rules = try RuleSource.load(yaml, objectID: objectID, origin: path)
                state.withLock { $0.files[path] = FileState(signature: signature, rules: rules, problems: []) }
                logger.info("Detection rule file loaded", metadata: ["file": "\(path)", "rules": "\(rules.count)"])
            } catch {
                let problems = (error as? SigmaParseFailure)?.problems.map { "\(path): \($0)" } ?? ["\(path): \(error)"]
                state.withLock { state in
                    // The rules the file had before keep running.
                    let previous = state.files[path]?.rules ?? []
                    state.files[path] = FileState(signature: signature, rules: previous, problems: problems)
                }
                logger.error("Detection rule file refused; its previous rules keep running", metadata: ["file": "\(path)", "problems": "\(problems.joined(separator: "; "))"])
            }
        }
        state.withLock { state in
            for path in state.files.keys where !seen.contains(path) {
                state.files[path] = nil
                changed = true
            }
        }
        return changed
    }
}

/// One holder at a time, in arrival order, across suspension points (a Mutex cannot be held over an await).
final class SerialGate: Sendable {
    struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.busy {
                    state.waiting.append(continuation)
                    return false
                }
                state.busy = true
                return true
            }
            if now { continuation.resume() }
        }
        defer {
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiting.isEmpty {
                    state.busy = false
                    return nil
                }
                return state.waiting.removeFirst()
            }
            next?.resume()
        }
        return try await body()
    }
}
