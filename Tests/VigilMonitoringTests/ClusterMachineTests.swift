import Testing
import VigilCore
@testable import VigilMonitoring

/// The heartbeat state machine with a fake clock: every input is applied at a chosen millisecond.
@Suite struct ClusterMachineTests {
    let interval: Int64 = 10_000

    func types(_ events: [ClusterEventDraft]) -> [String] { events.map(\.type) }

    func detail(_ event: ClusterEventDraft, _ key: String) -> JSONValue? { JSONValue.object(event.details)[key] }

    /// A cluster created at 0 whose driver and `workers` workers reported at 1 s.
    func running(workers: Int, target: Int? = nil) throws -> ClusterMachine {
        var machine = ClusterMachine(targetWorkers: target ?? workers)
        _ = try machine.apply(.created(user: "a@x", attributes: []), at: 0)
        _ = try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: false), at: 1_000)
        for index in 0..<workers {
            _ = try machine.apply(.heartbeat(instanceID: "w\(index)", driver: false, intervalMillis: interval, leaving: false), at: 1_000)
        }
        return machine
    }

    @Test func createIsPendingUntilTheDriverReports() throws {
        var machine = ClusterMachine(targetWorkers: 2)
        let created = try machine.apply(.created(user: "a@x", attributes: [JSONMember("cluster_name", .string("etl"))]), at: 0)
        #expect(types(created) == ["CREATING"])
        #expect(detail(created[0], "user") == .string("a@x"))
        #expect(machine.state == .pending)
        // A worker alone does not make the cluster run.
        #expect(try machine.apply(.heartbeat(instanceID: "w1", driver: false, intervalMillis: interval, leaving: false), at: 500).isEmpty)
        #expect(machine.state == .pending)
        let running = try machine.apply(.heartbeat(instanceID: "d", driver: true, intervalMillis: interval, leaving: false), at: 1_000)
        #expect(types(running) == ["RUNNING"])
        #expect(detail(running[0], "current_num_workers") == .number("1"))
        #expect(detail(running[0], "target_num_workers") == .number("2"))
        #expect(machine.state == .running)
        // Later driver reports change nothing.
        #expect(try machine.apply(.heartbeat(instanceID: "d", driver: true, intervalMillis: interval, leaving: false), at: 11_000).isEmpty)
    }

    @Test func aWorkerSilentForThreeIntervalsIsLostOnce() throws {
        var machine = try running(workers: 2)
        // Both keep reporting except w1, whose last report was at 1 s.
        for at in stride(from: Int64(11_000), through: 31_000, by: 10_000) {
            _ = try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: false), at: at)
            _ = try machine.apply(.heartbeat(instanceID: "w0", driver: false, intervalMillis: interval, leaving: false), at: at)
        }
        #expect(!machine.tickIsDue(at: 31_000))
        #expect(try machine.apply(.tick, at: 31_000).isEmpty)
        #expect(machine.tickIsDue(at: 31_001))
        let lost = try machine.apply(.tick, at: 31_001)
        #expect(types(lost) == ["NODES_LOST"])
        #expect(detail(lost[0], "instance_id") == .string("w1"))
        #expect(detail(lost[0], "current_num_workers") == .number("1"))
        #expect(detail(lost[0], "target_num_workers") == .number("2"))
        #expect(detail(lost[0], "reason")?["code"] == .string("INSTANCE_UNREACHABLE"))
        #expect(detail(lost[0], "reason")?["parameters"]?["instance_id"] == .string("w1"))
        #expect(machine.state == .running)
        #expect(machine.liveWorkers == 1)
        // Found lost once, not at every tick.
        #expect(try machine.apply(.tick, at: 60_000).filter { $0.type == "NODES_LOST" }.isEmpty)
    }

    @Test func aLostWorkerThatReportsAgainIsARecovery() throws {
        var machine = try running(workers: 2)
        machine.nodes["w1"]?.lost = true
        let back = try machine.apply(.heartbeat(instanceID: "w1", driver: false, intervalMillis: interval, leaving: false), at: 40_000)
        #expect(types(back) == ["RESIZING", "UPSIZE_COMPLETED"])
        #expect(detail(back[0], "cause") == .string("AUTORECOVERY"))
        #expect(detail(back[0], "current_num_workers") == .number("1"))
        #expect(detail(back[1], "current_num_workers") == .number("2"))
        #expect(machine.nodes["w1"]?.lost == false)
    }

    @Test func theDriverSilentMakesTheStateUnknownUntilItReports() throws {
        var machine = try running(workers: 0)
        let silent = try machine.apply(.tick, at: 40_000)
        #expect(types(silent) == ["DRIVER_NOT_RESPONDING"])
        #expect(detail(silent[0], "reason")?["code"] == .string("DRIVER_UNREACHABLE"))
        #expect(machine.state == .unknown)
        #expect(machine.stateMessage.contains("39 s"))
        let healthy = try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: false), at: 41_000)
        #expect(types(healthy) == ["DRIVER_HEALTHY"])
        #expect(machine.state == .running)
    }

    @Test func workersJoiningAndLeavingResize() throws {
        var machine = try running(workers: 1, target: 1)
        let joined = try machine.apply(.heartbeat(instanceID: "w9", driver: false, intervalMillis: interval, leaving: false), at: 2_000)
        #expect(types(joined) == ["RESIZING", "UPSIZE_COMPLETED"])
        #expect(detail(joined[0], "cause") == .string("AUTOSCALE"))
        #expect(detail(joined[0], "target_num_workers") == .number("2"))
        let left = try machine.apply(.heartbeat(instanceID: "w9", driver: false, intervalMillis: interval, leaving: true), at: 3_000)
        #expect(types(left) == ["RESIZING"])
        #expect(detail(left[0], "current_num_workers") == .number("2"))
        #expect(detail(left[0], "target_num_workers") == .number("1"))
        #expect(machine.nodes["w9"] == nil)
        // A node that left cleanly is never found lost.
        #expect(try machine.apply(.tick, at: 100_000).map(\.type) == ["DRIVER_NOT_RESPONDING", "NODES_LOST"])
    }

    @Test func anEditThatGrowsTheClusterResizesUntilTheWorkersArrive() throws {
        var machine = try running(workers: 1)
        let edited = try machine.apply(.edited(user: "b@x", targetWorkers: 3, attributes: [], previousAttributes: []), at: 5_000)
        #expect(types(edited) == ["EDITED", "RESIZING"])
        #expect(detail(edited[1], "current_num_workers") == .number("1"))
        #expect(detail(edited[1], "target_num_workers") == .number("3"))
        #expect(detail(edited[1], "user") == .string("b@x"))
        #expect(machine.state == .resizing)
        #expect(try machine.apply(.heartbeat(instanceID: "w1", driver: false, intervalMillis: interval, leaving: false), at: 6_000).isEmpty)
        #expect(machine.state == .resizing)
        let done = try machine.apply(.heartbeat(instanceID: "w2", driver: false, intervalMillis: interval, leaving: false), at: 7_000)
        #expect(types(done) == ["UPSIZE_COMPLETED"])
        #expect(detail(done[0], "current_num_workers") == .number("3"))
        #expect(machine.state == .running)
    }

    @Test func anEditThatShrinksEndsWhenWorkersLeave() throws {
        var machine = try running(workers: 2)
        #expect(types(try machine.apply(.edited(user: "b@x", targetWorkers: 1, attributes: [], previousAttributes: []), at: 5_000)) == ["EDITED", "RESIZING"])
        #expect(machine.state == .resizing)
        #expect(try machine.apply(.heartbeat(instanceID: "w1", driver: false, intervalMillis: interval, leaving: true), at: 6_000).isEmpty)
        #expect(machine.state == .running)
    }

    @Test func anEditKeepingTheSizeIsOnlyEdited() throws {
        var machine = try running(workers: 1)
        #expect(types(try machine.apply(.edited(user: "b@x", targetWorkers: 1, attributes: [], previousAttributes: []), at: 5_000)) == ["EDITED"])
        #expect(machine.state == .running)
    }

    @Test func terminateStartAndRestart() throws {
        var machine = try running(workers: 1)
        #expect(throws: VigilError.self) { try machine.apply(.started(user: "a@x"), at: 2_000) }
        let restart = try machine.apply(.restarted(user: "a@x"), at: 2_000)
        #expect(types(restart) == ["RESTARTING"])
        #expect(machine.state == .restarting)
        // A worker's report says nothing of the driver: still restarting.
        #expect(try machine.apply(.heartbeat(instanceID: "w0", driver: false, intervalMillis: interval, leaving: false), at: 2_500).isEmpty)
        #expect(machine.state == .restarting)
        #expect(types(try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: false), at: 3_000)) == ["RUNNING"])
        let ended = try machine.apply(.terminated(user: "a@x"), at: 4_000)
        #expect(types(ended) == ["TERMINATING"])
        #expect(detail(ended[0], "reason")?["code"] == .string("USER_REQUEST"))
        #expect(detail(ended[0], "reason")?["parameters"]?["username"] == .string("a@x"))
        #expect(machine.state == .terminated)
        #expect(machine.nodes.isEmpty)
        // A terminated cluster ignores its agents and finds nothing lost; it cannot be restarted or ended twice.
        #expect(try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: false), at: 5_000).isEmpty)
        #expect(machine.state == .terminated)
        #expect(try machine.apply(.tick, at: 500_000).isEmpty)
        #expect(throws: VigilError.self) { try machine.apply(.restarted(user: "a@x"), at: 6_000) }
        #expect(throws: VigilError.self) { try machine.apply(.terminated(user: "a@x"), at: 6_000) }
        #expect(types(try machine.apply(.started(user: "c@x"), at: 7_000)) == ["STARTING"])
        #expect(machine.state == .pending)
        #expect(types(try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: false), at: 8_000)) == ["RUNNING"])
    }

    @Test func theDriverLeavingMakesTheStateUnknown() throws {
        var machine = try running(workers: 1)
        #expect(try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: true), at: 2_000).isEmpty)
        #expect(machine.state == .unknown)
        #expect(!machine.liveDriver)
    }

    @Test func eachNodeIsJudgedByItsOwnInterval() throws {
        var machine = try running(workers: 0)
        _ = try machine.apply(.heartbeat(instanceID: "slow", driver: false, intervalMillis: 60_000, leaving: false), at: 1_000)
        _ = try machine.apply(.heartbeat(instanceID: "driver", driver: true, intervalMillis: interval, leaving: false), at: 100_000)
        // 99 s of silence is under three of the slow node's 60 s intervals.
        #expect(try machine.apply(.tick, at: 100_000).isEmpty)
        #expect(types(try machine.apply(.tick, at: 181_001)).contains("NODES_LOST"))
    }
}
