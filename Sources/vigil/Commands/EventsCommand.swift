import ArgumentParser

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Query and ingest audit events.",
        subcommands: [EventsListCommand.self, EventsGetCommand.self, EventsIngestCommand.self]
    )
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, ndjson
}
