import ArgumentParser
import Foundation
import VigilCore
import VigilExport
import VigilLedger
import VigilStore

struct DeliveryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delivery",
        abstract: "Check audit log deliveries made by `vigil serve --config` (delivery: entries).",
        subcommands: [DeliveryVerifyCommand.self]
    )
}

/// `--source` and the S3 options, shared by `vigil delivery verify` and `vigil import databricks-delivery`.
struct DeliverySourceOptions: ParsableArguments {
    @Option(help: "A delivery's root: a folder, file:///path or s3://bucket/prefix.")
    var source: String

    @Option(name: .customLong("s3-endpoint"), help: "For s3://: a custom endpoint such as http://127.0.0.1:5055 (default AWS).")
    var s3Endpoint: String?

    @Option(name: .customLong("s3-region"), help: "For s3://: the region (env AWS_REGION, default us-east-1).")
    var s3Region: String = ProcessInfo.processInfo.environment["AWS_REGION"] ?? "us-east-1"

    @Option(name: .customLong("s3-addressing"), help: "For s3://: path or virtual (default path with --s3-endpoint, else virtual).")
    var s3Addressing: String?

    /// The source as a URL (a bare path is a folder).
    var url: String {
        source.contains("://") ? source : "file://" + (source.hasPrefix("/") ? source : FileManager.default.currentDirectoryPath + "/" + source)
    }

    /// The target to read; credentials for s3:// come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
    func target() throws -> any DeliveryTarget {
        let url = url
        var s3: DeliveryConfiguration.S3Settings?
        if url.hasPrefix("s3://") {
            let environment = ProcessInfo.processInfo.environment
            guard let key = environment["AWS_ACCESS_KEY_ID"], let secret = environment["AWS_SECRET_ACCESS_KEY"] else {
                throw ValidationError("an s3:// source needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
            }
            var addressing: S3Location.Addressing?
            if let s3Addressing {
                guard let parsed = S3Location.Addressing(rawValue: s3Addressing) else { throw ValidationError("--s3-addressing must be path or virtual") }
                addressing = parsed
            }
            s3 = .init(endpoint: s3Endpoint, region: s3Region, addressing: addressing,
                       credentials: .init(accessKeyID: key, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"]))
        }
        let target: any DeliveryTarget
        do { target = try DeliveryConfiguration.target(url: url, s3: s3) } catch let error as VigilError { throw ValidationError("--source \(error.message)") }
        var isDirectory: ObjCBool = false
        if let folder = target as? DirectoryTarget, !FileManager.default.fileExists(atPath: folder.root, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw CLIFailure("\(TerminalText.escape(folder.root)) is not a folder")
        }
        return target
    }
}

struct DeliveryVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a delivery's digest chain, its files' hashes, its seq coverage and its ledger checkpoints.",
        discussion: """
            Reads every object under --source: each digest's signature (the .sig beside it, by a trusted checkpoint key) \
            and its link to the digest before it (object, SHA-256, signature); each listed log file's SHA-256; that the \
            listed seq ranges cover every event from seq 0 without a gap or an overlap; that no log file is there that \
            no digest lists; and that the events in the files recompute the root of each ledger checkpoint the digests \
            name. Files delivered after the newest digest are listed as not yet covered (not invalid). \
            Lines are "Digest file|Log file|Events|Checkpoint<TAB>location<TAB>valid|INVALID: reason": INVALID lines go to \
            standard error, valid ones only with --verbose. \
            For s3:// the credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. \
            Exit status: 0 when everything is valid, 1 when anything is invalid, 2 on usage errors.
            """
    )

    @OptionGroup var source: DeliverySourceOptions

    @Option(name: .customLong("data-dir"), help: "Data folder whose keys/*.pub are trusted (default ./vigil-data, env VIGIL_DATA_DIR).")
    var dataDirectory: String = ProcessInfo.processInfo.environment["VIGIL_DATA_DIR"] ?? "./vigil-data"

    @Option(name: .customLong("key"), help: "Trusted verifier key (name+id+base64); repeatable. Default: <data-dir>/keys/*.pub.")
    var verifierKeys: [String] = []

    @Flag(help: "Print a line for every valid digest, file and checkpoint too.")
    var verbose = false

    func run() async throws {
        var keys: [NoteKey] = []
        for text in verifierKeys {
            do { keys.append(try NoteKey(verifierKey: text)) } catch { throw ValidationError("--key \(text.prefix(40)): \(error)") }
        }
        if keys.isEmpty { keys = (try? Keyring(dataDirectory: dataDirectory, keyName: "").publicKeys()) ?? [] }
        guard !keys.isEmpty else {
            throw ValidationError("no trusted keys: give --key, or --data-dir of the server that delivered (its keys/*.pub)")
        }
        let target = try source.target()
        print("Validating delivery at \(TerminalText.escape(target.displayURL)) with \(keys.count) trusted key(s)")
        let reporter = ProgressReporter()
        let report = try await DeliveryVerifier(target: target, keys: keys) { done, total in reporter.update(UInt64(done), UInt64(total)) }.verify()
        reporter.finish()
        for line in report.lines {
            // Keys come from storage anyone with write access could name: every part is escaped, the tabs are not.
            var escaped = line
            escaped.location = TerminalText.escape(line.location)
            escaped.problem = line.problem.map(TerminalText.escape)
            let text = escaped.text
            if line.problem != nil {
                FileHandle.standardError.write(Data((text + "\n").utf8))
            } else if line.note != nil || verbose {
                print(text)
            }
        }
        print("")
        for line in report.summary { print(line) }
        if report.failed { throw ExitCode(1) }
    }
}
