import ArgumentParser
import Foundation
import NIOHTTP1
import VigilCore
import VigilDetection

/// `vigil detections list|create|update|delete|test|backtest|history`: Sigma detection rules from the command line.
/// `test` needs no server: it checks a rules file as the server would and, given events, shows what would fire.
struct DetectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detections", abstract: "Manage Sigma detection rules and see what they fired.",
        subcommands: [List.self, Create.self, Update.self, Delete.self, Test.self, Backtest.self, History.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The rules running now (API and --rules-dir) and refused rule files.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .table

        func run() async throws {
            let reply = try await VigilClient(connection).call(.GET, "/api/2.0/vigil/detections")
            guard case .array(let rules)? = reply["detections"] else { return }
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: reply) : rules.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["ID", "TITLE", "LEVEL", "TYPE", "ORIGIN"])
            for rule in rules {
                table.add([EventPrinter.text(rule["id"]), EventPrinter.text(rule["title"]), EventPrinter.text(rule["level"]),
                           EventPrinter.text(rule["type"]), EventPrinter.text(rule["origin"])])
            }
            print(table.render())
            if case .array(let refused)? = reply["refused_files"] {
                for file in refused {
                    if case .array(let problems)? = file["problems"] {
                        for problem in problems { FileHandle.standardError.write(Data("vigil: refused: \(TerminalText.escape(EventPrinter.text(problem) ?? ""))\n".utf8)) }
                    }
                }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add the rule(s) of a Sigma YAML file; prints the rule's id.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The Sigma YAML file (- for standard input).") var file: String

        func run() async throws {
            let reply = try await DetectionsCommand.upload(.POST, "/api/2.0/vigil/detections", file: file, connection: connection)
            print(EventPrinter.text(reply["id"]) ?? "")
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a rule's YAML.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The rule's id.") var id: String
        @Argument(help: "The Sigma YAML file (- for standard input).") var file: String

        func run() async throws {
            _ = try await DetectionsCommand.upload(.PUT, "/api/2.0/vigil/detections/\(DetectionsCommand.segment(id))", file: file, connection: connection)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a rule added through the API.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The rule's id.") var id: String

        func run() async throws {
            _ = try await VigilClient(connection).call(.DELETE, "/api/2.0/vigil/detections/\(DetectionsCommand.segment(id))")
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a Sigma rules file offline; with --events, replay audit events (NDJSON) through it and print what fires.",
            discussion: "Exit status 0 when the file loads, 1 when it has problems (each printed as file:line: field: reason).")
        @Argument(help: "The Sigma YAML file.") var file: String
        @Option(name: .customLong("events"), help: "An NDJSON file of audit events (the ingest shape) to replay, in order.") var events: String?

        func run() async throws {
            let yaml: String
            do {
                yaml = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw CLIFailure("cannot read \(file): \(error.localizedDescription)")
            }
            let set: RuleSet
            do throws(SigmaParseFailure) {
                set = try RuleSet(RuleSource.load(yaml, objectID: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent, origin: file))
            } catch {
                for problem in error.problems {
                    let place = problem.line.map { "\(file):\($0)" } ?? file
                    FileHandle.standardError.write(Data("\(TerminalText.escape(place)): \(TerminalText.escape(problem.field)): \(TerminalText.escape(problem.message))\n".utf8))
                }
                throw ExitCode(1)
            }
            print("\(file): \(set.rules.count) rule\(set.rules.count == 1 ? "" : "s") load: " + set.rules.map(\.id).joined(separator: ", "))
            guard let events else { return }
            var evaluator = DetectionEvaluator(rules: set)
            let decoder = EventDecoder(limits: IngestLimits())
            let text: String
            do {
                text = try String(contentsOfFile: events, encoding: .utf8)
            } catch {
                throw CLIFailure("cannot read \(events): \(error.localizedDescription)")
            }
            var fired = 0
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
                let value: JSONValue
                do {
                    value = try JSONParser.parse(Array(line.utf8), rejectsDuplicateKeys: true)
                } catch {
                    throw CLIFailure("\(events):\(index + 1): not valid JSON: \(error)")
                }
                var problems: [ValidationProblem] = []
                guard let event = decoder.decode(value, index: index, nowMillis: SystemWallClock().nowMillis(), problems: &problems) else {
                    throw CLIFailure("\(events):\(index + 1): " + problems.map { "\($0.field): \($0.detail)" }.joined(separator: "; "))
                }
                for hit in evaluator.evaluate(event) {
                    fired += 1
                    let group = hit.group.map { "\($0.field)=\($0.value ?? "null")" }.joined(separator: " ")
                    print(TerminalText.escape("line \(index + 1): \(hit.ruleID) (\(hit.level.rawValue)) \(hit.title); count \(hit.count)\(group.isEmpty ? "" : "; " + group)"))
                }
            }
            print("\(fired) alert\(fired == 1 ? "" : "s")")
        }
    }

    struct Backtest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replay stored events through a loaded rule and print what would have fired.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The rule's id.") var id: String
        @Option(help: "Start of the range (RFC 3339), inclusive.") var start: String
        @Option(help: "End of the range (RFC 3339), exclusive; default now.") var end: String?

        func run() async throws {
            let endTime = end ?? Timestamp.formatRFC3339(millis: SystemWallClock().nowMillis())
            let body = JSONWriter.text(of: .object([JSONMember("start_time", .string(start)), JSONMember("end_time", .string(endTime))]))
            let reply = try await VigilClient(connection).call(.POST, "/api/2.0/vigil/detections/\(DetectionsCommand.segment(id))/backtest", body: Array(body.utf8))
            var table = TableRenderer(headers: ["EVENT_TIME", "RULE", "LEVEL", "COUNT", "GROUP"])
            if case .array(let hits)? = reply["hits"] {
                for hit in hits {
                    table.add([EventPrinter.text(hit["event_time"]), EventPrinter.text(hit["rule_id"]), EventPrinter.text(hit["level"]),
                               EventPrinter.text(hit["count"]), hit["group"].map(JSONWriter.text(of:)) ?? ""])
                }
            }
            print(table.render())
            print("\(EventPrinter.text(reply["events_scanned"]) ?? "0") events replayed" + (reply["truncated"] == .bool(true) ? " (stopped at the limit)" : ""))
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What the rules fired, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("rule-id"), help: "Only this rule's alerts.") var ruleID: String?
        @Option(help: "At most this many alerts.") var limit: Int = 100
        @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .table

        func run() async throws {
            let alerts = try await AlertsCommand.history(try VigilClient(connection), ruleID: ruleID, state: nil, limit: limit)
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: .array(alerts)) : alerts.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["ALERT_ID", "FIRED", "RULE", "LEVEL", "COUNT", "GROUP"])
            for alert in alerts {
                table.add([EventPrinter.text(alert["alert_id"]), EventPrinter.text(alert["fired_time"]), EventPrinter.text(alert["rule_id"]),
                           EventPrinter.text(alert["level"]), EventPrinter.text(alert["count"]), alert["group"].map(JSONWriter.text(of:)) ?? ""])
            }
            print(table.render())
        }
    }

    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? id
    }

    static func upload(_ method: HTTPMethod, _ path: String, file: String, connection: ConnectionOptions) async throws -> JSONValue {
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CLIFailure("cannot read \(file): \(error.localizedDescription)")
        }
        let client = try VigilClient(connection)
        let reply = try await client.send(method, path, body: Array(data), contentType: "application/yaml")
        guard (200..<300).contains(reply.status) else { throw VigilClient.failure(for: reply) }
        return try reply.json()
    }
}
