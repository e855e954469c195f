import ArgumentParser
import VigilCore

struct EventsGetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "Show one audit event by event_id.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The event_id.") var eventID: String
    @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .json

    func run() async throws {
        let client = try VigilClient(connection)
        guard EventDecoder.isValidEventID(eventID) else {
            throw ValidationError("event_id must be 1 to 128 characters from [A-Za-z0-9._:-]")
        }
        let event = try await client.call(.GET, "/api/2.0/audit/events/\(eventID)")
        EventPrinter.print([event], format: output == .json ? .ndjson : output)
    }
}
