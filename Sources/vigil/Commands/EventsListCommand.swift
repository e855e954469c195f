import ArgumentParser
import Foundation
import VigilCore

struct EventsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List audit events, newest first, following pages up to --limit."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("start-time"), help: "Events at or after this time (RFC 3339 or epoch ms).")
    var startTime: String?
    @Option(name: .customLong("end-time"), help: "Events before this time (RFC 3339 or epoch ms).")
    var endTime: String?
    @Option(name: .customLong("workspace-id")) var workspaceID: String?
    @Option(name: .customLong("service-name")) var serviceName: String?
    @Option(name: .customLong("action-name"), help: "Repeat to match any of several actions.")
    var actionNames: [String] = []
    @Option(help: "user_identity.email") var user: String?
    @Option(name: .customLong("source-ip-address")) var sourceIPAddress: String?
    @Option(name: .customLong("request-id")) var requestID: String?
    @Option(name: .customLong("status-code")) var statusCode: Int?
    @Option(help: "asc or desc by event time.") var order: String = "desc"
    @Option(help: "Stop after this many events.") var limit: Int = 100
    @Option(name: .customLong("output"), help: "table, json (one array) or ndjson (one event per line).")
    var output: OutputFormat = .table

    func validate() throws {
        guard order == "asc" || order == "desc" else { throw ValidationError("--order must be asc or desc") }
        guard limit > 0 else { throw ValidationError("--limit must be positive") }
    }

    func run() async throws {
        let client = try VigilClient(connection)
        var query: [(String, String)] = [("order", order), ("page_size", String(min(limit, 1000)))]
        for (name, value) in [("start_time", startTime), ("end_time", endTime), ("workspace_id", workspaceID),
                              ("service_name", serviceName), ("user", user), ("source_ip_address", sourceIPAddress),
                              ("request_id", requestID), ("status_code", statusCode.map(String.init))] {
            if let value { query.append((name, value)) }
        }
        query += actionNames.map { ("action_name", $0) }
        var events: [JSONValue] = []
        var pageToken: String?
        repeat {
            var pageQuery = query
            if let pageToken { pageQuery.append(("page_token", pageToken)) }
            let page = try await client.call(.GET, "/api/2.0/audit/events", query: pageQuery)
            if case .array(let batch)? = page["events"] { events += batch }
            if case .string(let next)? = page["next_page_token"] { pageToken = next } else { pageToken = nil }
        } while pageToken != nil && events.count < limit
        EventPrinter.print(Array(events.prefix(limit)), format: output)
    }
}

/// Prints table-shape events in the chosen format.
enum EventPrinter {
    static func print(_ events: [JSONValue], format: OutputFormat) {
        switch format {
        case .json:
            Swift.print(JSONWriter.text(of: .array(events)))
        case .ndjson:
            for event in events { Swift.print(JSONWriter.text(of: event)) }
        case .table:
            var table = TableRenderer(headers: ["EVENT_TIME", "SERVICE", "ACTION", "USER", "SOURCE_IP", "STATUS", "EVENT_ID"])
            for event in events {
                table.add([
                    text(event["event_time"]), text(event["service_name"]), text(event["action_name"]),
                    text(event["user_identity"]?["email"]), text(event["source_ip_address"]),
                    text(event["response"]?["status_code"]), text(event["event_id"]),
                ])
            }
            Swift.print(table.render())
        }
    }

    static func text(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: text
        case .number(let text)?: text
        case .bool(let flag)?: flag ? "true" : "false"
        default: nil
        }
    }
}
