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
    @OptionGroup var upload: UploadOptions

    func run() async throws {
        try await BatchUploader(client: try VigilClient(connection), path: "/api/2.0/audit/events", noun: "events").upload(upload)
    }
}
