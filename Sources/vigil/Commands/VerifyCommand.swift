import ArgumentParser
import Foundation
import VigilCore
import VigilLedger
import VigilStore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check that the audit log was not altered: every event against its ledger leaf, every checkpoint's signature and root.",
        discussion: """
            Offline (default): reads <data-dir>/vigil.sqlite read-only and trusts the public keys in <data-dir>/keys/*.pub \
            or those given with --key. Online (--online, with --host/--token or VIGIL_HOST/VIGIL_TOKEN): checks the \
            server's newest checkpoint and every event it serves, through the API only. \
            Prints one line per checkpoint and per range of events, then a tally. \
            Exit status: 0 when everything is valid, 1 when anything is invalid, 2 on usage errors.
            """
    )

    @Option(name: .customLong("data-dir"), help: "Data folder to verify.")
    var dataDirectory: String = ProcessInfo.processInfo.environment["VIGIL_DATA_DIR"] ?? "./vigil-data"

    @Option(name: .customLong("key"), help: "Trusted verifier key (name+id+base64); repeatable. Default: <data-dir>/keys/*.pub.")
    var verifierKeys: [String] = []

    @Flag(help: "Verify a running server through its API instead of a data folder.")
    var online = false

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var keys: [NoteKey] = []
        for text in verifierKeys {
            do { keys.append(try NoteKey(verifierKey: text)) } catch { throw ValidationError("--key \(text.prefix(40)): \(error)") }
        }
        if online {
            let client = try VigilClient(connection)
            print("Validating audit log at \(client.baseURL)")
            let bar = ProgressReporter()
            let (report, usedServerKeys) = try await OnlineVerifier(client: client, pinnedKeys: keys).verify { bar.update($0, $1) }
            bar.finish()
            if usedServerKeys {
                print("note: trusting the keys the server publishes; pin them with --key for an independent check")
            }
            print(VerifyPrinter.render(report), terminator: "")
            if !report.isValid { throw ExitCode(1) }
            return
        }
        let path = (dataDirectory as NSString).appendingPathComponent("vigil.sqlite")
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no Vigil database at \(path)") }
        if keys.isEmpty {
            keys = (try? Keyring(dataDirectory: dataDirectory, keyName: "").publicKeys()) ?? []
        }
        let database: VigilDatabase
        do { database = try VigilDatabase(path: path, readOnly: true) } catch { throw CLIFailure("cannot open \(path): \(error)") }
        print("Validating audit log \(path) with \(keys.count) trusted key(s)")
        let bar = ProgressReporter()
        let report = try await LedgerVerifier(database: database, keys: keys).verify { done, total in bar.update(done, total) }
        bar.finish()
        print(VerifyPrinter.render(report), terminator: "")
        if !report.isValid { throw ExitCode(1) }
    }
}

/// Thread-safe wrapper so the verifier's progress callback can drive the progress bar.
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private var bar: ProgressBar?

    func update(_ done: UInt64, _ total: UInt64) {
        lock.lock(); defer { lock.unlock() }
        if bar == nil { bar = ProgressBar(total: Int(clamping: total), unit: "leaves") }
        bar?.update(done: Int(clamping: done))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        bar?.finish()
    }
}

/// The report in the manner of `aws cloudtrail validate-logs`: a line per checkpoint, a line per range of
/// events (valid ranges summarised), then the tally.
enum VerifyPrinter {
    static func render(_ report: VerificationReport) -> String {
        var out = "Results requested for seq 0 to \(report.leafCount == 0 ? 0 : report.leafCount - 1) (\(report.leafCount) leaves, \(report.checkpointCount) checkpoints)\n\n"
        for line in report.checkpointLines { out += line + "\n" }
        if !report.checkpointLines.isEmpty { out += "\n" }
        var cursor: UInt64 = 0
        for problem in report.problems.sorted(by: { $0.range.lowerBound < $1.range.lowerBound }) where problem.kind != .badSignature && problem.kind != .inconsistentCheckpoints {
            if problem.range.lowerBound > cursor { out += "Seq \(cursor) to \(problem.range.lowerBound - 1): valid\n" }
            out += "Seq \(problem.range.lowerBound)\(problem.range.count > 1 ? " to \(problem.range.upperBound)" : ""): INVALID: \(problem.kind.rawValue): \(problem.detail)\n"
            cursor = max(cursor, problem.range.upperBound + 1)
        }
        if cursor < report.leafCount { out += "Seq \(cursor) to \(report.leafCount - 1): valid\n" }
        for problem in report.problems where problem.kind == .badSignature || problem.kind == .inconsistentCheckpoints {
            out += "Seq \(problem.range.lowerBound) to \(problem.range.upperBound): INVALID: \(problem.kind.rawValue): \(problem.detail)\n"
        }
        if report.coveredSize < report.leafCount {
            out += "Seq \(report.coveredSize) to \(report.leafCount - 1): not yet covered by a valid checkpoint\n"
        }
        let validLeaves = report.leafCount - report.invalidLeafCount
        out += "\nResults found for seq 0 to \(report.leafCount == 0 ? 0 : report.leafCount - 1):\n\n"
        out += "\(report.checkpointCount - report.invalidCheckpointCount)/\(report.checkpointCount) checkpoints valid\n"
        if report.invalidCheckpointCount > 0 { out += "\(report.invalidCheckpointCount)/\(report.checkpointCount) checkpoints INVALID\n" }
        out += "\(validLeaves)/\(report.leafCount) events valid\n"
        if report.invalidLeafCount > 0 { out += "\(report.invalidLeafCount)/\(report.leafCount) events INVALID\n" }
        out += report.isValid ? "Result: VALID\n" : "Result: INVALID (\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s"))\n"
        return out
    }
}
