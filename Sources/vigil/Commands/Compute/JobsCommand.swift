import ArgumentParser
import Foundation
import VigilCore

/// `vigil jobs list`, `vigil jobs runs list|get`: the Jobs API's read side from the command line.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List jobs and their runs (run a job with vigil job run).", subcommands: [List.self, Runs.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the jobs you may see.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .table

        func run() async throws {
            let client = try VigilClient(connection)
            var jobs: [JSONValue] = []
            var token: String?
            repeat {
                let reply = try await client.call(.GET, "/api/2.2/jobs/list", query: [("limit", "100")] + (token.map { [("page_token", $0)] } ?? []))
                if case .array(let page)? = reply["jobs"] { jobs += page }
                if case .string(let next)? = reply["next_page_token"] { token = next } else { token = nil }
            } while token != nil
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: .array(jobs)) : jobs.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["JOB_ID", "NAME", "CREATOR", "CREATED"])
            for job in jobs {
                table.add([EventPrinter.text(job["job_id"]), EventPrinter.text(job["settings"]?["name"]), EventPrinter.text(job["creator_user_name"]),
                           JobsCommand.time(job["created_time"])])
            }
            print(table.render())
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs or show one.", subcommands: [RunsList.self, RunsGet.self])
    }

    struct RunsList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Runs, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("job-id"), help: "Only this job's runs.") var jobID: Int64?
        @Flag(name: .customLong("active-only"), help: "Only runs not yet ended.") var activeOnly = false
        @Flag(name: .customLong("completed-only"), help: "Only ended runs.") var completedOnly = false
        @Option(help: "At most this many runs.") var limit: Int = 100
        @Option(name: .customLong("output"), help: "table, json or ndjson.") var output: OutputFormat = .table

        func run() async throws {
            let client = try VigilClient(connection)
            var runs: [JSONValue] = []
            var token: String?
            repeat {
                var query = [("limit", "25")]
                if let jobID { query.append(("job_id", String(jobID))) }
                if activeOnly { query.append(("active_only", "true")) }
                if completedOnly { query.append(("completed_only", "true")) }
                if let token { query.append(("page_token", token)) }
                let reply = try await client.call(.GET, "/api/2.2/jobs/runs/list", query: query)
                if case .array(let page)? = reply["runs"] { runs += page }
                if case .string(let next)? = reply["next_page_token"] { token = next } else { token = nil }
            } while token != nil && runs.count < limit
            runs = Array(runs.prefix(limit))
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: .array(runs)) : runs.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["RUN_ID", "JOB", "STATE", "RESULT", "STARTED", "DURATION_MS", "EXIT"])
            for run in runs {
                table.add([EventPrinter.text(run["run_id"]), EventPrinter.text(run["run_name"]), EventPrinter.text(run["state"]?["life_cycle_state"]),
                           EventPrinter.text(run["state"]?["result_state"]), JobsCommand.time(run["start_time"]), EventPrinter.text(run["run_duration"]),
                           EventPrinter.text(run["exit_code"])])
            }
            print(table.render())
        }
    }

    struct RunsGet: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Show a run; --output-logs prints its output instead.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The run id.") var runID: Int64
        @Flag(name: .customLong("output-logs"), help: "Print the run's output (its last 5 MB).") var outputLogs = false

        func run() async throws {
            let client = try VigilClient(connection)
            if outputLogs {
                let reply = try await client.call(.GET, "/api/2.2/jobs/runs/get-output", query: [("run_id", String(runID))])
                // Line by line: each line's control characters are escaped, the line breaks between them kept.
                if case .string(let logs)? = reply["logs"] {
                    print(logs.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escape(String($0)) }.joined(separator: "\n"))
                }
                return
            }
            print(JSONWriter.text(of: try await client.call(.GET, "/api/2.2/jobs/runs/get", query: [("run_id", String(runID))])))
        }
    }

    static func time(_ value: JSONValue?) -> String {
        guard case .number(let text)? = value, let millis = Int64(text), millis > 0 else { return "" }
        return Timestamp.formatRFC3339(millis: millis)
    }
}
