import ArgumentParser
import Foundation
import VigilCore

/// `vigil clusters ...`: the Clusters API from the command line (JSON out, tables for lists and events).
struct ClustersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clusters",
        abstract: "Create, show, list, start, restart and terminate clusters, and read their events.",
        subcommands: [Create.self, Get.self, List.self, Events.self, Start.self, Restart.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a cluster (you get CAN_MANAGE on it); prints its cluster_id. Hosts join it with vigil agent --cluster-id.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The cluster's name.") var name: String
        @Option(help: "Fixed size: the number of workers.") var workers: Int?
        @Option(name: .customLong("autoscale-min"), help: "Autoscaling: the fewest workers.") var autoscaleMin: Int?
        @Option(name: .customLong("autoscale-max"), help: "Autoscaling: the most workers.") var autoscaleMax: Int?
        @Option(name: .customLong("node-type"), help: "node_type_id.") var nodeType: String?
        @Option(name: .customLong("tag"), help: "A custom tag KEY=VALUE (repeatable).") var tags: [String] = []
        @Option(name: .customLong("autotermination-minutes"), help: "Kept and shown; 0 = never.") var autotermination: Int?
        @Option(name: .customLong("json"), help: "A ClusterSpec to send (a file, or - for standard input); the flags override its fields.")
        var json: String?

        func run() async throws {
            var members: [JSONMember] = []
            if case .object(let given)? = try AppsCommand.readJSON(json) { members = given }
            func set(_ key: String, _ value: JSONValue) {
                if let index = members.firstIndex(where: { $0.key == key }) { members[index].value = value } else { members.append(JSONMember(key, value)) }
            }
            set("cluster_name", .string(name))
            if let workers { set("num_workers", .number(String(workers))) }
            if autoscaleMin != nil || autoscaleMax != nil {
                set("autoscale", .object([
                    JSONMember("min_workers", .number(String(autoscaleMin ?? 0))), JSONMember("max_workers", .number(String(autoscaleMax ?? autoscaleMin ?? 1))),
                ]))
            }
            if let nodeType { set("node_type_id", .string(nodeType)) }
            if let autotermination { set("autotermination_minutes", .number(String(autotermination))) }
            if !tags.isEmpty {
                set("custom_tags", .object(try tags.map { tag in
                    let parts = tag.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { throw ValidationError("--tag needs KEY=VALUE, got '\(tag)'") }
                    return JSONMember(String(parts[0]), .string(String(parts[1])))
                }))
            }
            let reply = try await VigilClient(connection).call(.POST, "/api/2.1/clusters/create", body: Array(JSONWriter.text(of: .object(members)).utf8))
            print(JSONWriter.text(of: reply))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a cluster (its spec, state and reporting nodes).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The cluster id.") var clusterID: String

        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, "/api/2.1/clusters/get", query: [("cluster_id", clusterID)])))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the clusters you may see.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only clusters in this state (repeatable).") var state: [String] = []
        @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .table

        func run() async throws {
            let client = try VigilClient(connection)
            var clusters: [JSONValue] = []
            var token: String?
            repeat {
                var query = [("page_size", "500")] + state.map { ("filter_by.cluster_states", $0) }
                if let token { query.append(("page_token", token)) }
                let reply = try await client.call(.GET, "/api/2.1/clusters/list", query: query)
                if case .array(let page)? = reply["clusters"] { clusters += page }
                if case .string(let next)? = reply["next_page_token"] { token = next } else { token = nil }
            } while token != nil
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: .array(clusters)) : clusters.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["CLUSTER_ID", "NAME", "STATE", "WORKERS", "NODES", "CREATOR"])
            for cluster in clusters {
                var nodes = 0
                if cluster["driver"] != nil { nodes += 1 }
                if case .array(let executors)? = cluster["executors"] { nodes += executors.count }
                table.add([EventPrinter.text(cluster["cluster_id"]), EventPrinter.text(cluster["cluster_name"]), EventPrinter.text(cluster["state"]),
                           EventPrinter.text(cluster["num_workers"]), String(nodes), EventPrinter.text(cluster["creator_user_name"])])
            }
            print(table.render())
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A cluster's events, newest first (all pages unless --limit).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The cluster id.") var clusterID: String
        @Option(name: .customLong("type"), help: "Only events of this type (repeatable), e.g. NODES_LOST.") var types: [String] = []
        @Option(help: "Only events at or after this time (RFC 3339 or a date).") var since: String?
        @Option(help: "Only events at or before this time.") var until: String?
        @Flag(help: "Oldest first.") var ascending = false
        @Option(help: "At most this many events.") var limit: Int?
        @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .table

        func run() async throws {
            let client = try VigilClient(connection)
            var body: [JSONMember] = [JSONMember("cluster_id", .string(clusterID)), JSONMember("page_size", .number("500"))]
            if ascending { body.append(JSONMember("order", .string("ASC"))) }
            if !types.isEmpty { body.append(JSONMember("event_types", .array(types.map(JSONValue.string)))) }
            for (key, text) in [("start_time", since), ("end_time", until)] {
                guard let text else { continue }
                guard let millis = Timestamp.parseInstant(text) else { throw ValidationError("--\(key == "start_time" ? "since" : "until"): '\(text)' is not an RFC 3339 time or a date") }
                body.append(JSONMember(key, .number(String(millis))))
            }
            var events: [JSONValue] = []
            var request: JSONValue? = .object(body)
            while let next = request, limit.map({ events.count < $0 }) ?? true {
                let reply = try await client.call(.POST, "/api/2.1/clusters/events", body: Array(JSONWriter.text(of: next).utf8))
                if case .array(let page)? = reply["events"] { events += page }
                request = reply["next_page"]
            }
            if let limit { events = Array(events.prefix(limit)) }
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: .array(events)) : events.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["TIME", "TYPE", "DETAILS"])
            for event in events {
                var time = ""
                if case .number(let text)? = event["timestamp"], let millis = Int64(text) { time = Timestamp.formatRFC3339(millis: millis) }
                table.add([time, EventPrinter.text(event["type"]), event["details"].map(JSONWriter.text(of:))])
            }
            print(table.render(maxCellWidth: 120))
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a terminated cluster (it is RUNNING once its driver's agent reports).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The cluster id.") var clusterID: String

        func run() async throws { try await ClustersCommand.post(connection, "start", clusterID) }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restart a cluster (RESTARTING until its driver's agent reports again).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The cluster id.") var clusterID: String

        func run() async throws { try await ClustersCommand.post(connection, "restart", clusterID) }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Terminate a cluster (Databricks' delete): it stays listed as TERMINATED, with its events.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The cluster id.") var clusterID: String

        func run() async throws { try await ClustersCommand.post(connection, "delete", clusterID) }
    }

    static func post(_ connection: ConnectionOptions, _ verb: String, _ clusterID: String) async throws {
        let body = JSONWriter.text(of: .object([JSONMember("cluster_id", .string(clusterID))]))
        _ = try await VigilClient(connection).call(.POST, "/api/2.1/clusters/\(verb)", body: Array(body.utf8))
        FileHandle.standardError.write(Data("\(verb == "delete" ? "terminated" : verb == "start" ? "started" : "restarting") \(TerminalText.escape(clusterID))\n".utf8))
    }
}
