import ArgumentParser
import Foundation
import VigilStore

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Manage the tamper-evident ledger's signing keys.",
        subcommands: [RotateKey.self]
    )

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Create a new checkpoint signing key in <data-dir>/keys/.",
            discussion: "The new key signs from the next server start; old public keys stay in keys/ and in GET /api/2.0/vigil/ledger/keys, so old checkpoints still verify."
        )

        @Option(name: .customLong("data-dir"), help: "Data folder.")
        var dataDirectory: String = ProcessInfo.processInfo.environment["VIGIL_DATA_DIR"] ?? "./vigil-data"

        func run() async throws {
            let keysFolder = (dataDirectory as NSString).appendingPathComponent("keys")
            guard FileManager.default.fileExists(atPath: keysFolder),
                  let existing = try Keyring(dataDirectory: dataDirectory, keyName: "").publicKeys().last
            else { throw ValidationError("no keys in \(keysFolder); start the server once first") }
            let key = try Keyring(dataDirectory: dataDirectory, keyName: existing.name).rotate()
            print("new checkpoint key: \(key.verifierKey)")
            print("restart vigil serve to sign with it; previous keys stay published")
        }
    }
}
