import ArgumentParser
import Foundation
import VigilCore

struct EventsIngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Send events from a file (NDJSON or a JSON array) or stdin ('-') in batches.",
        discussion: "Each batch is acknowledged only once stored durably. Batches refused as overloaded (429/503) are retried after Retry-After. Exit 1 if any batch was refused."
    )

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "File to read, or - for stdin.") var file: String
    @Option(name: .customLong("batch-size"), help: "Events per request.") var batchSize: Int = 1000

    func validate() throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1...100000") }
    }

    func run() async throws {
        let client = try VigilClient(connection)
        var reader = try EventBatchReader(path: file, batchSize: batchSize)
        var progress = reader.totalBytes.map { ProgressBar(total: $0, unit: "bytes") }
        var read = 0, accepted = 0, duplicates = 0, refused = 0, failures: [String] = []
        while let batch = try reader.nextBatch() {
            let body = Array(batch.joined(separator: "\n").utf8)
            let reply = try await sendWithRetry(client, body)
            if (200..<300).contains(reply.status), let json = try? reply.json() {
                if case .number(let text)? = json["accepted"] { accepted += Int(text) ?? 0 }
                if case .number(let text)? = json["duplicates"] { duplicates += Int(text) ?? 0 }
            } else {
                refused += batch.count
                failures.append("events \(read)–\(read + batch.count - 1): \(VigilClient.failure(for: reply).message)")
            }
            read += batch.count
            progress?.update(done: reader.bytesRead)
        }
        progress?.finish()
        for failure in failures { FileHandle.standardError.write(Data("vigil: \(failure)\n".utf8)) }
        print("\(read) events read: \(accepted) stored, \(duplicates) duplicates, \(refused) refused")
        if refused > 0 { throw CLIFailure("\(refused) events were refused") }
    }

    private func sendWithRetry(_ client: VigilClient, _ body: [UInt8]) async throws -> VigilClient.Reply {
        var attempt = 0
        while true {
            let reply = try await client.send(.POST, "/api/2.0/audit/events", body: body, contentType: "application/x-ndjson")
            guard reply.status == 429 || reply.status == 503, attempt < 8 else { return reply }
            attempt += 1
            let wait = Int(reply.headers.first(name: "Retry-After") ?? "") ?? attempt
            try await Task.sleep(for: .seconds(min(max(wait, 1), 30)))
        }
    }
}
