import VigilCore

/// The state of a cluster (Databricks' `State` enum).
public enum ClusterState: String, Sendable, CaseIterable {
    case pending = "PENDING"
    case running = "RUNNING"
    case restarting = "RESTARTING"
    case resizing = "RESIZING"
    case terminating = "TERMINATING"
    case terminated = "TERMINATED"
    case error = "ERROR"
    case unknown = "UNKNOWN"

    /// States in which agents are expected to report (a missed heartbeat then means a lost node).
    public var isLive: Bool { ![.terminated, .terminating, .error].contains(self) }
}

/// One event the machine derived, before the store gives it its cluster and time (Databricks' ClusterEvent
/// `type` and `details`).
public struct ClusterEventDraft: Sendable, Equatable {
    public var type: String
    public var details: [JSONMember]

    public init(_ type: String, _ details: [JSONMember]) {
        self.type = type
        self.details = details
    }
}

/// What one cluster is doing, derived from the API calls made on it and its agents' heartbeats: a pure value,
/// fed inputs and the time they happened, answering the events they cause (reference databricks.md §4.4).
///
/// - create → CREATING, PENDING; start of a terminated cluster → STARTING, PENDING; restart → RESTARTING.
/// - the first driver heartbeat while PENDING or RESTARTING → RUNNING.
/// - a worker joining a running cluster → RESIZING then UPSIZE_COMPLETED; a worker leaving (the agent stopped
///   cleanly) → RESIZING; an edit that changes the size → EDITED, RESIZING, and state RESIZING until the live
///   workers reach the new size (UPSIZE_COMPLETED when it grew).
/// - no heartbeat from a node for `missedIntervals` of its interval: a worker → NODES_LOST; the driver →
///   DRIVER_NOT_RESPONDING and state UNKNOWN until it reports again (DRIVER_HEALTHY, RUNNING).
/// - delete (Databricks' terminate) → TERMINATING, TERMINATED; heartbeats then change nothing until a start.
public struct ClusterMachine: Sendable, Equatable {
    public var state: ClusterState
    public var stateMessage: String
    /// The workers the spec asks for (`num_workers` or `autoscale.min_workers`).
    public var targetWorkers: Int
    /// The size an edit asked for, while the cluster is RESIZING towards it; with the live count it started from.
    public var resize: Resize?
    public var nodes: [String: Node]

    public struct Resize: Sendable, Equatable {
        public var from: Int
        public var to: Int

        public init(from: Int, to: Int) {
            self.from = from
            self.to = to
        }
    }

    public struct Node: Sendable, Equatable {
        public var driver: Bool
        public var intervalMillis: Int64
        public var firstSeenMillis: Int64
        public var lastSeenMillis: Int64
        /// Missed `missedIntervals` heartbeats; still listed until it reports again or leaves.
        public var lost: Bool

        public init(driver: Bool, intervalMillis: Int64, firstSeenMillis: Int64, lastSeenMillis: Int64, lost: Bool = false) {
            self.driver = driver
            self.intervalMillis = intervalMillis
            self.firstSeenMillis = firstSeenMillis
            self.lastSeenMillis = lastSeenMillis
            self.lost = lost
        }
    }

    public enum Input: Sendable, Equatable {
        case created(user: String, attributes: [JSONMember])
        case edited(user: String, targetWorkers: Int, attributes: [JSONMember], previousAttributes: [JSONMember])
        case started(user: String)
        case restarted(user: String)
        case terminated(user: String)
        /// An agent's report: `leaving` when it stops cleanly (its node is removed without NODES_LOST).
        case heartbeat(instanceID: String, driver: Bool, intervalMillis: Int64, leaving: Bool)
        /// Time passed: nodes whose heartbeats stopped are found lost.
        case tick
    }

    /// A node is lost after this many of its intervals without a heartbeat.
    public static let missedIntervals: Int64 = 3

    public init(state: ClusterState = .pending, stateMessage: String = "", targetWorkers: Int, resize: Resize? = nil, nodes: [String: Node] = [:]) {
        self.state = state
        self.stateMessage = stateMessage
        self.targetWorkers = targetWorkers
        self.resize = resize
        self.nodes = nodes
    }

    /// Workers reporting now.
    public var liveWorkers: Int { nodes.values.filter { !$0.driver && !$0.lost }.count }

    public var liveDriver: Bool { nodes.values.contains { $0.driver && !$0.lost } }

    /// Whether `tick` at `now` would find a node lost (lets a caller skip a write when nothing is due).
    public func tickIsDue(at now: Int64) -> Bool {
        state.isLive && nodes.values.contains { !$0.lost && Self.isOverdue($0, at: now) }
    }

    static func isOverdue(_ node: Node, at now: Int64) -> Bool {
        now - node.lastSeenMillis > missedIntervals * node.intervalMillis
    }

    /// Applies `input`, which happened at `now` (epoch milliseconds), and answers the events it caused in order.
    public mutating func apply(_ input: Input, at now: Int64) throws -> [ClusterEventDraft] {
        switch input {
        case .created(let user, let attributes):
            state = .pending
            stateMessage = "Waiting for the driver's agent to report"
            return [ClusterEventDraft("CREATING", [JSONMember("user", .string(user)), JSONMember("attributes", .object(attributes))])]
        case .edited(let user, let target, let attributes, let previous):
            var events = [ClusterEventDraft("EDITED", [
                JSONMember("user", .string(user)), JSONMember("attributes", .object(attributes)),
                JSONMember("previous_attributes", .object(previous)),
            ])]
            let oldTarget = targetWorkers
            targetWorkers = target
            if target != oldTarget, state == .running || state == .resizing {
                resize = Resize(from: liveWorkers, to: target)
                state = .resizing
                stateMessage = "Resizing to \(target) workers"
                events.append(ClusterEventDraft("RESIZING", sizes(current: liveWorkers, target: target) + [
                    JSONMember("cause", .string("USER_REQUEST")), JSONMember("user", .string(user)),
                ]))
                events += completeResize()
            }
            return events
        case .started(let user):
            guard state == .terminated || state == .error else {
                throw VigilError(.invalidState, "the cluster is in state \(state.rawValue); only a TERMINATED cluster can be started (use restart)")
            }
            state = .pending
            stateMessage = "Waiting for the driver's agent to report"
            resize = nil
            // Nodes seen before the cluster ended must report again to count.
            nodes = [:]
            return [ClusterEventDraft("STARTING", [JSONMember("user", .string(user))])]
        case .restarted(let user):
            guard state.isLive else {
                throw VigilError(.invalidState, "the cluster is in state \(state.rawValue); a terminated cluster is started, not restarted")
            }
            state = .restarting
            stateMessage = "Restarting: waiting for the driver's agent to report"
            resize = nil
            return [ClusterEventDraft("RESTARTING", [JSONMember("user", .string(user))])]
        case .terminated(let user):
            guard state != .terminated else {
                throw VigilError(.invalidState, "the cluster is already TERMINATED")
            }
            state = .terminated
            stateMessage = "Terminated by \(user)"
            resize = nil
            nodes = [:]
            return [ClusterEventDraft("TERMINATING", [
                JSONMember("user", .string(user)),
                JSONMember("reason", Self.reason("USER_REQUEST", "SUCCESS", [("username", user)])),
            ])]
        case .heartbeat(let instanceID, let driver, let interval, let leaving):
            return heartbeat(instanceID, driver: driver, interval: interval, leaving: leaving, at: now)
        case .tick:
            return tick(at: now)
        }
    }

    mutating func heartbeat(_ instanceID: String, driver: Bool, interval: Int64, leaving: Bool, at now: Int64) -> [ClusterEventDraft] {
        guard state.isLive else {
            // A terminated cluster takes no nodes: its agents' samples are kept, its state waits for a start.
            return []
        }
        let before = liveWorkers
        let previous = nodes[instanceID]
        var events: [ClusterEventDraft] = []
        if leaving {
            nodes[instanceID] = nil
        } else {
            nodes[instanceID] = Node(driver: driver, intervalMillis: interval, firstSeenMillis: previous?.firstSeenMillis ?? now, lastSeenMillis: now)
        }
        let after = liveWorkers
        let instance = JSONMember("instance_id", .string(instanceID))
        switch state {
        case .pending, .restarting:
            // Only the driver's own report: after a restart the old driver is still listed, and a worker's report
            // says nothing of it.
            if driver, !leaving {
                state = .running
                stateMessage = ""
                events.append(ClusterEventDraft("RUNNING", sizes(current: after, target: targetWorkers)))
            }
        case .unknown:
            if driver, !leaving {
                state = .running
                stateMessage = ""
                events.append(ClusterEventDraft("DRIVER_HEALTHY", [instance]))
            }
        case .running:
            if after > before {
                events.append(ClusterEventDraft("RESIZING", sizes(current: before, target: after) + [
                    JSONMember("cause", .string(after <= targetWorkers ? "AUTORECOVERY" : "AUTOSCALE")),
                ]))
                events.append(ClusterEventDraft("UPSIZE_COMPLETED", sizes(current: after, target: targetWorkers) + [instance]))
            } else if after < before {
                events.append(ClusterEventDraft("RESIZING", sizes(current: before, target: after) + [
                    JSONMember("cause", .string("AUTOSCALE")), instance,
                ]))
            }
        case .resizing:
            events += completeResize()
        default:
            break
        }
        if driver, leaving, state == .running || state == .resizing {
            state = .unknown
            stateMessage = "The driver's agent (\(instanceID)) stopped"
        }
        return events
    }

    mutating func tick(at now: Int64) -> [ClusterEventDraft] {
        guard state.isLive else { return [] }
        var events: [ClusterEventDraft] = []
        for (id, node) in nodes.sorted(by: { $0.key < $1.key }) where !node.lost && Self.isOverdue(node, at: now) {
            nodes[id]?.lost = true
            let silent = (now - node.lastSeenMillis) / 1000
            let parameters = [("instance_id", id), ("last_heartbeat", Timestamp.formatRFC3339(millis: node.lastSeenMillis))]
            if node.driver {
                if state == .running || state == .resizing {
                    state = .unknown
                    stateMessage = "The driver (\(id)) has not reported for \(silent) s"
                }
                events.append(ClusterEventDraft("DRIVER_NOT_RESPONDING", [
                    JSONMember("instance_id", .string(id)),
                    JSONMember("driver_state_message", .string("No heartbeat from the driver's agent for \(silent) s")),
                    JSONMember("reason", Self.reason("DRIVER_UNREACHABLE", "SERVICE_FAULT", parameters)),
                ]))
            } else {
                events.append(ClusterEventDraft("NODES_LOST", [JSONMember("instance_id", .string(id))] + sizes(current: liveWorkers, target: targetWorkers) + [
                    JSONMember("reason", Self.reason("INSTANCE_UNREACHABLE", "SERVICE_FAULT", parameters)),
                ]))
            }
        }
        return events
    }

    /// Ends a resize once the live workers reached its size.
    mutating func completeResize() -> [ClusterEventDraft] {
        guard state == .resizing, let resize else { return [] }
        let live = liveWorkers
        let reached = resize.to >= resize.from ? live >= resize.to : live <= resize.to
        guard reached else { return [] }
        self.resize = nil
        state = .running
        stateMessage = ""
        return resize.to > resize.from ? [ClusterEventDraft("UPSIZE_COMPLETED", sizes(current: live, target: resize.to))] : []
    }

    func sizes(current: Int, target: Int) -> [JSONMember] {
        [JSONMember("current_num_workers", .number(String(current))), JSONMember("target_num_workers", .number(String(target)))]
    }

    /// A Databricks TerminationReason: `{code, type, parameters}`.
    static func reason(_ code: String, _ type: String, _ parameters: [(String, String)]) -> JSONValue {
        .object([
            JSONMember("code", .string(code)), JSONMember("type", .string(type)),
            JSONMember("parameters", .object(parameters.map { JSONMember($0.0, .string($0.1)) })),
        ])
    }
}
