import ArgumentParser

/// `vigil node-timeline ingest`: utilisation rows for `system.compute.node_timeline`.
struct NodeTimelineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node-timeline",
        abstract: "Ingest compute node utilisation rows (system.compute.node_timeline).",
        subcommands: [Ingest.self]
    )

    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Send node timeline rows from a file (NDJSON or a JSON array) or stdin ('-') in batches.",
            discussion: """
                Each row has the columns of system.compute.node_timeline: cluster_id, instance_id, start_time and \
                end_time (RFC 3339) are required. A row already stored with the same values counts as a duplicate. \
                Exit 1 if any batch was refused.
                """
        )

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var upload: UploadOptions

        func run() async throws {
            try await BatchUploader(client: try VigilClient(connection), path: "/api/2.0/vigil/compute/node-timeline", noun: "rows")
                .upload(upload)
        }
    }
}
