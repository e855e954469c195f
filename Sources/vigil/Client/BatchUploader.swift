import ArgumentParser
import Foundation
import VigilCore

/// What an ingest command reads: a file (or `-`) and how many records go in one request.
struct UploadOptions: ParsableArguments {
    @Argument(help: "File to read (NDJSON or a JSON array), or - for stdin.") var file: String
    @Option(name: .customLong("batch-size"), help: "Records per request.") var batchSize: Int = 1000
    @Option(help: "Skip the first N records (resume an interrupted ingest; re-sending them is also safe: they come back as duplicates).")
    var skip: Int = 0

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1...100000") }
        guard skip >= 0 else { throw ValidationError("--skip must be 0 or more") }
    }
}

/// Sends the records of an NDJSON file or JSON array (or stdin) to an ingest endpoint in batches, retrying
/// batches refused as overloaded (429/503) after Retry-After, with a progress bar on a terminal and a summary.
/// `vigil events ingest` and `vigil node-timeline ingest` differ only in the endpoint and the noun.
struct BatchUploader {
    let client: VigilClient
    let path: String
    /// "events", "rows": what the summary counts.
    let noun: String

    /// "1 event", "2 events".
    func count(_ number: Int) -> String {
        number == 1 ? "1 \(noun.dropLast())" : "\(number) \(noun)"
    }

    func upload(_ options: UploadOptions) async throws {
        var reader = try EventBatchReader(path: options.file, batchSize: options.batchSize)
        var progress = reader.totalBytes.map { ProgressBar(total: $0, unit: "bytes") }
        var read = 0, accepted = 0, duplicates = 0, refused = 0, failures: [String] = []
        var skipped = 0
        while let batch = try reader.nextBatch() {
            // --skip: records already sent by an earlier, interrupted run.
            let kept = Array(batch.dropFirst(max(0, options.skip - skipped)))
            skipped += batch.count - kept.count
            guard !kept.isEmpty else { continue }
            let body = Array(kept.joined(separator: "\n").utf8)
            let reply: VigilClient.Reply
            do {
                reply = try await sendWithRetry(body)
            } catch let failure as CLIFailure {
                // Cut off mid-way (the server stopped): say what is stored and how to go on.
                progress?.finish()
                let done = skipped + read
                throw CLIFailure(
                    "\(failure.message)\nvigil: stopped after \(count(done)) of \(options.file) (\(accepted) stored, \(duplicates) duplicates, \(refused) refused in this run); "
                        + "resume with --skip \(done), or run it again: what is stored comes back as duplicates")
            }
            if (200..<300).contains(reply.status), let json = try? reply.json() {
                if case .number(let text)? = json["accepted"] { accepted += Int(text) ?? 0 }
                if case .number(let text)? = json["duplicates"] { duplicates += Int(text) ?? 0 }
            } else {
                refused += kept.count
                let first = skipped + read
                let range = kept.count == 1 ? "\(noun.dropLast()) \(first)" : "\(noun) \(first)–\(first + kept.count - 1)"
                failures.append("\(range): \(VigilClient.failure(for: reply).message)")
            }
            read += kept.count
            progress?.update(done: reader.bytesRead)
        }
        progress?.finish()
        for failure in failures { FileHandle.standardError.write(Data("vigil: \(failure)\n".utf8)) }
        let skippedNote = skipped > 0 ? " after skipping \(skipped)" : ""
        print("\(count(read)) read\(skippedNote): \(accepted) stored, \(duplicates) duplicates, \(refused) refused")
        if refused > 0 { throw CLIFailure("\(count(refused)) \(refused == 1 ? "was" : "were") refused") }
    }

    func sendWithRetry(_ body: [UInt8]) async throws -> VigilClient.Reply {
        var attempt = 0
        while true {
            let reply = try await client.send(.POST, path, body: body, contentType: "application/x-ndjson")
            guard reply.status == 429 || reply.status == 503, attempt < 8 else { return reply }
            attempt += 1
            let wait = Int(reply.headers.first(name: "Retry-After") ?? "") ?? attempt
            try await Task.sleep(for: .seconds(min(max(wait, 1), 30)))
        }
    }
}
