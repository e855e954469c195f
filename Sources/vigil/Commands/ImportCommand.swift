import ArgumentParser
import Crypto
import Foundation
import VigilCore
import VigilExport

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Ingest audit events from other systems' files.",
        subcommands: [ImportDatabricksDeliveryCommand.self]
    )
}

/// `vigil import databricks-delivery SOURCE`: every `*.json` file of an audit log delivery (Databricks' own, or
/// Vigil's) sent through the ingest API, file by file.
struct ImportDatabricksDeliveryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "databricks-delivery",
        abstract: "Import Databricks audit log delivery files (JSON Lines, camelCase) from a folder or an S3 prefix.",
        discussion: """
            Reads every .json file under --source (workspaceId=…/date=…/auditlogs_….json; Vigil's _digests folder is \
            skipped), in key order, and sends its lines to the ingest API in batches. Idempotent: an event without \
            eventId gets the id derived from its content, so importing a file again stores nothing new. A state file \
            (--state, default ./.vigil-import-<hash of the source>.json) records each file imported with its SHA-256; \
            a run after an interruption skips those and starts again at the file it was in (whose events then come \
            back as duplicates). A file that changed since is imported again. \
            Exit status 1 when any line was refused (each is named by file and line).
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var source: DeliverySourceOptions

    @Option(help: "The state file that makes a second run resume (default ./.vigil-import-<hash of the source>.json).")
    var state: String?

    @Option(name: .customLong("batch-size"), help: "Events per request.")
    var batchSize: Int = 1000

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1...100000") }
    }

    func run() async throws {
        let target = try source.target()
        let client = try VigilClient(connection)
        let uploader = BatchUploader(client: client, path: "/api/2.0/audit/events", noun: "events")
        let statePath = state ?? ".vigil-import-\(Hex.encode(SHA256.hash(data: Array(target.displayURL.utf8)).prefix(6))).json"
        var done = try ImportState.load(statePath, source: target.displayURL)
        let keys = try await target.list().filter { $0.hasSuffix(".json") && !$0.hasPrefix(DeliveryLayout.digestFolder + "/") }
        print("Importing \(keys.count) file(s) from \(TerminalText.escape(target.displayURL)) (state: \(statePath))")
        var progress = ProgressBar(total: keys.count, unit: "files")
        var skipped = 0, read = 0, stored = 0, duplicates = 0, refused = 0
        var problems: [String] = []
        for (index, key) in keys.enumerated() {
            defer { progress.update(done: index + 1) }
            guard let bytes = try await target.get(key) else { continue }
            let hash = Hex.encode(SHA256.hash(data: bytes))
            if done[key] == hash {
                skipped += 1
                continue
            }
            let problemsBefore = problems.count
            let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
                .filter { !$0.element.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") } }
            for start in stride(from: 0, to: lines.count, by: batchSize) {
                let batch = lines[start..<min(lines.count, start + batchSize)]
                let body = Array(batch.map { Array($0.element) }.joined(separator: [UInt8(ascii: "\n")]))
                let reply: VigilClient.Reply
                do {
                    reply = try await uploader.sendWithRetry(body)
                } catch let failure as CLIFailure {
                    progress.finish()
                    throw CLIFailure("\(failure.message)\nvigil: stopped in \(TerminalText.escape(key)) after \(read) events (\(stored) stored in this run); "
                                     + "run the same command again to resume at that file")
                }
                read += batch.count
                if (200..<300).contains(reply.status), let json = try? reply.json() {
                    if case .number(let text)? = json["accepted"] { stored += Int(text) ?? 0 }
                    if case .number(let text)? = json["duplicates"] { duplicates += Int(text) ?? 0 }
                } else {
                    refused += batch.count
                    let first = (batch.first?.offset ?? 0) + 1
                    let last = (batch.last?.offset ?? 0) + 1
                    problems.append("\(TerminalText.escape(key)) lines \(first)–\(last): \(VigilClient.failure(for: reply).message)")
                }
            }
            // Recorded only when every line was accepted: a file with refusals is tried again next time.
            if problems.count == problemsBefore {
                done[key] = hash
                try ImportState.save(done, to: statePath, source: target.displayURL)
            }
        }
        progress.finish()
        for problem in problems { FileHandle.standardError.write(Data("vigil: \(problem)\n".utf8)) }
        let skippedNote = skipped > 0 ? " (\(skipped) already imported, skipped)" : ""
        print("\(keys.count) file(s)\(skippedNote): \(read) events read, \(stored) stored, \(duplicates) duplicates, \(refused) refused")
        if refused > 0 { throw CLIFailure("\(refused) event(s) were refused") }
    }
}

/// The files an import finished, by key, with the SHA-256 they had: `{"source": url, "files": {key: hash}}`.
enum ImportState {
    static func load(_ path: String, source: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        let value = try JSONParser.parse(Array(data))
        guard value["source"] == .string(source), case .object(let members)? = value["files"] else {
            throw CLIFailure("\(path) is the state of another import (or not a state file); pass --state to choose another")
        }
        var files: [String: String] = [:]
        for member in members { if case .string(let hash) = member.value { files[member.key] = hash } }
        return files
    }

    static func save(_ files: [String: String], to path: String, source: String) throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("source"); writer.string(source); writer.comma()
        writer.key("files"); writer.beginObject()
        for (index, key) in files.keys.sorted().enumerated() {
            if index > 0 { writer.comma() }
            writer.key(key); writer.string(files[key])
        }
        writer.endObject(); writer.endObject()
        let temporary = path + ".tmp"
        try Data(writer.bytes).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else { throw CLIFailure("cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}
