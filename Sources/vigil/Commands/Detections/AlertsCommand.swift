import ArgumentParser
import Foundation
import NIOHTTP1
import VigilCore
import VigilLogs
import VigilNotify

/// `vigil alerts list|get|ack|silence|silences|unsilence`: what fired, where its notifications went, and
/// Alertmanager-style silences.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "See alerts and their notifications, acknowledge them, and silence them.",
        subcommands: [List.self, Get.self, Ack.self, Silence.self, Silences.self, Unsilence.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Alerts, newest first (the same as `vigil detections history`, with --state).")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Only alerts in this state: TRIGGERED, SILENCED, ACKNOWLEDGED or RESOLVED.") var state: String?
        @Option(name: .customLong("rule-id"), help: "Only this rule's alerts.") var ruleID: String?
        @Option(help: "At most this many alerts.") var limit: Int = 100
        @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .table

        func run() async throws {
            let alerts = try await AlertsCommand.history(try VigilClient(connection), ruleID: ruleID, state: state, limit: limit)
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: .array(alerts)) : alerts.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["ALERT_ID", "STATE", "FIRED", "RULE", "LEVEL", "COUNT", "GROUP"])
            for alert in alerts {
                table.add([EventPrinter.text(alert["alert_id"]), EventPrinter.text(alert["state"]), EventPrinter.text(alert["fired_time"]),
                           EventPrinter.text(alert["rule_id"]), EventPrinter.text(alert["level"]), EventPrinter.text(alert["count"]),
                           alert["group"].map(JSONWriter.text(of:)) ?? ""])
            }
            print(table.render())
        }
    }

    /// The alert history, newest first, page after page until `limit` alerts.
    static func history(_ client: VigilClient, ruleID: String?, state: String?, limit: Int) async throws -> [JSONValue] {
        var alerts: [JSONValue] = []
        var token: String?
        repeat {
            var query = [("page_size", String(min(max(limit, 1), 1000)))]
            if let state { query.append(("state", state)) }
            if let ruleID { query.append(("rule_id", ruleID)) }
            if let token { query.append(("page_token", token)) }
            let reply = try await client.call(.GET, "/api/2.0/vigil/alert-history", query: query)
            if case .array(let page)? = reply["alerts"] { alerts += page }
            if case .string(let next)? = reply["next_page_token"] { token = next } else { token = nil }
        } while token != nil && alerts.count < limit
        return Array(alerts.prefix(limit))
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One alert and each of its notifications: destination, state, attempts, last error.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The alert id.") var id: Int64
        @Option(name: .customLong("output"), help: "table or json.") var output: OutputFormat = .table

        func run() async throws {
            let alert = try await VigilClient(connection).call(.GET, "/api/2.0/vigil/alerts/\(id)")
            guard output == .table else { return print(JSONWriter.text(of: alert)) }
            for key in ["alert_id", "state", "rule_id", "title", "level", "fired_time", "resolved_time", "acknowledged_by", "silenced_by", "count"] {
                if let value = EventPrinter.text(alert[key]), alert[key] != .null { print("\(key): \(TerminalText.escape(value))") }
            }
            if let group = alert["group"] { print("group: \(TerminalText.escape(JSONWriter.text(of: group)))") }
            guard case .array(let notifications)? = alert["notifications"], !notifications.isEmpty else { return print("notifications: none") }
            var table = TableRenderer(headers: ["NOTIFICATION", "DESTINATION", "STATUS", "STATE", "ATTEMPTS", "LAST_ERROR"])
            for item in notifications {
                table.add([EventPrinter.text(item["notification_id"]), EventPrinter.text(item["destination_id"]), EventPrinter.text(item["status"]),
                           EventPrinter.text(item["state"]), EventPrinter.text(item["attempts"]), EventPrinter.text(item["last_error"])])
            }
            print(table.render())
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge an alert (TRIGGERED or SILENCED becomes ACKNOWLEDGED).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The alert id.") var id: Int64

        func run() async throws {
            let alert = try await VigilClient(connection).call(.POST, "/api/2.0/vigil/alerts/\(id)/acknowledge", body: Array("{}".utf8))
            print("alert \(id) is \(EventPrinter.text(alert["state"]) ?? "")")
        }
    }

    struct Silence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Silence alerts whose labels match every matcher; prints the silence's id.",
            discussion: """
                Matchers are Alertmanager's: name=value, name!=value, name=~regex, name!~regex (regexes match whole values). Labels: \
                alertname (the rule id), severity (the level), vigil_alert_id, workspace_id and the rule's group-by fields with \
                dots as underscores (user_identity_email).
                Example: vigil alerts silence alertname=brute-force source_ip_address=~'10\\..*' --duration 2h --comment "pen test"
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "One or more matchers.") var matchers: [String]
        @Option(help: "How long: a number with s, m, h or d.") var duration: String = "1h"
        @Option(help: "Why (required).") var comment: String

        func run() async throws {
            let parsed = try matchers.map { try VigilNotify.Silence.Matcher.parse($0) }
            guard let millis = RetentionPeriod.millis(duration) else {
                throw ValidationError("--duration must be a positive number with s, m, h or d, e.g. 2h; got '\(duration)'")
            }
            let ends = Timestamp.formatRFC3339(millis: Int64(Date().timeIntervalSince1970 * 1000) + millis)
            let body = JSONValue.object([
                JSONMember("matchers", .array(parsed.map(\.json))), JSONMember("endsAt", .string(ends)), JSONMember("comment", .string(comment)),
            ])
            let reply = try await VigilClient(connection).call(.POST, "/api/2.0/vigil/silences", body: Array(JSONWriter.text(of: body).utf8))
            print(EventPrinter.text(reply["silenceID"]) ?? "")
        }
    }

    struct Silences: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Silences in force or pending (--all: expired ones too).")
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "Include expired silences.") var all = false
        @Option(name: .customLong("output"), help: "table or json.") var output: OutputFormat = .table

        func run() async throws {
            let reply = try await VigilClient(connection).call(.GET, "/api/2.0/vigil/silences", query: [("include_expired", all ? "true" : "false")])
            guard case .array(let silences)? = reply["silences"] else { return }
            guard output == .table else { return print(JSONWriter.text(of: reply)) }
            var table = TableRenderer(headers: ["ID", "STATE", "ENDS", "MATCHERS", "CREATED_BY", "COMMENT"])
            for silence in silences {
                var matchers: [String] = []
                if case .array(let items)? = silence["matchers"] {
                    for item in items {
                        guard case .string(let name)? = item["name"], case .string(let value)? = item["value"] else { continue }
                        matchers.append(VigilNotify.Silence.Matcher(name: name, value: value, isRegex: item["isRegex"] == .bool(true),
                                                                    isEqual: item["isEqual"] != .bool(false)).text)
                    }
                }
                table.add([EventPrinter.text(silence["id"]), EventPrinter.text(silence["status"]?["state"]), EventPrinter.text(silence["endsAt"]),
                           matchers.joined(separator: " "), EventPrinter.text(silence["createdBy"]), EventPrinter.text(silence["comment"])])
            }
            print(table.render())
        }
    }

    struct Unsilence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a silence now.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The silence id.") var id: String

        func run() async throws {
            _ = try await VigilClient(connection).call(.DELETE, "/api/2.0/vigil/silences/\(DetectionsCommand.segment(id))")
        }
    }
}
