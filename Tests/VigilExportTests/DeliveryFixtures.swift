import Foundation
import GRDB
import Logging
import VigilCore
import VigilLedger
import VigilStore
import VigilTesting
@testable import VigilExport

/// A data folder with `count` events committed the way the server commits them, a delivery folder beside it, and
/// a delivery service on a manual clock (its steps are called directly, so nothing sleeps).
struct DeliveryFixture {
    let folder: TemporaryDirectory
    let database: VigilDatabase
    let clock: ManualWallClock
    let keyring: Keyring
    let signer: CheckpointSigner
    let target: DirectoryTarget
    var service: DeliveryService

    static let start: Int64 = 1_796_000_000_000  // 2026-11-30T…

    init(batchEvents: Int = 20_000) async throws {
        folder = try TemporaryDirectory()
        database = try VigilDatabase.open(dataDirectory: folder.path)
        clock = ManualWallClock(millis: Self.start)
        keyring = Keyring(dataDirectory: folder.path, keyName: "vigil/test")
        signer = CheckpointSigner(ledger: LedgerStore(database: database), keyring: keyring, origin: "vigil/test", clock: clock)
        try await signer.prepare()
        target = DirectoryTarget(root: folder.file("lake"))
        var configuration = DeliveryConfiguration(name: "lake", url: target.displayURL)
        configuration.batchEvents = batchEvents
        service = DeliveryService(configuration: configuration, target: target, database: database, keyring: keyring, clock: clock,
                                  logger: Logger(label: "test"))
        try await service.prepare()
    }

    /// Commits events `range` (fixture events spread over four workspaces and, an hour apart, several dates).
    func commit(_ range: Range<Int>) async throws {
        let sequencer = Sequencer(database: database)
        let events = range.map { PreparedEvent(EventFixtures.event($0, endMillis: Self.start, spacingMillis: 3_600_000), receivedMillis: Self.start) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await sequencer.run() }
            _ = try await sequencer.submit(events)
            tasks.cancelAll()
        }
    }

    /// Delivers, signs a checkpoint, moves the clock past the digest interval and writes a digest.
    func deliverAndDigest() async throws {
        try await service.deliverPending()
        try await signer.signNow()
        clock.advance(byMillis: service.configuration.digestIntervalMillis)
        try await service.digestIfDue()
    }

    func verify(keys: [NoteKey]? = nil) async throws -> DeliveryVerification {
        try await DeliveryVerifier(target: target, keys: keys ?? keyring.publicKeys()).verify()
    }

    func lines(of key: String) throws -> [String] {
        try String(contentsOfFile: target.root + "/" + key, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    func remove() { folder.remove() }
}
