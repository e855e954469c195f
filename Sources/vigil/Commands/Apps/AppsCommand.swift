import ArgumentParser
import Foundation
import VigilCore

/// `vigil apps ...`: the Apps API from the command line, as `databricks apps` offers it (JSON out), and the app's
/// logs as `databricks apps logs` shows them.
struct AppsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apps",
        abstract: "Create, show, change, start, stop and delete apps, and read or follow their logs.",
        subcommands: [Create.self, Get.self, List.self, Update.self, Delete.self, Start.self, Stop.self, AppsLogsCommand.self, LogSettings.self]
    )

    static func path(_ name: String) -> String {
        "/api/2.0/apps/" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-"))) ?? name)
    }

    /// The App fields the flags set, over `base` (a file's App or the app as stored).
    static func app(base: JSONValue?, name: String, description: String?, scopes: [String]?, clearScopes: Bool) -> [UInt8] {
        var members: [JSONMember] = []
        if case .object(let existing)? = base { members = existing.filter { !AppSpec.outputOnlyFields.contains($0.key) } }
        func set(_ key: String, _ value: JSONValue) {
            if let index = members.firstIndex(where: { $0.key == key }) { members[index].value = value } else { members.append(JSONMember(key, value)) }
        }
        set("name", .string(name))
        if let description { set("description", .string(description)) }
        if let scopes { set("user_api_scopes", .array(scopes.map(JSONValue.string))) }
        if clearScopes { members.removeAll { $0.key == "user_api_scopes" } }
        return Array(JSONWriter.text(of: .object(members)).utf8)
    }

    static func readJSON(_ path: String?) throws -> JSONValue? {
        guard let path else { return nil }
        let data: Data?
        if path == "-" { data = FileHandle.standardInput.readDataToEndOfFile() } else { data = FileManager.default.contents(atPath: path) }
        guard let data else { throw CLIFailure("cannot read \(path)") }
        do { return try JSONParser.parse(Array(data)) } catch { throw CLIFailure("\(path) is not valid JSON: \(error)") }
    }

    struct AppFlags: ParsableArguments {
        @Option(help: "The app's description.") var description: String?
        @Option(name: .customLong("user-api-scopes"), parsing: .upToNextOption,
                help: "On-behalf-of scopes the app may use (e.g. sql iam.current-user:read).") var userAPIScopes: [String] = []
        @Flag(name: .customLong("no-user-api-scopes"), help: "Send no user_api_scopes at all (not even an empty list).") var noScopes = false
        @Option(name: .customLong("json"), help: "An App object to send (a file, or - for standard input); the flags override its fields.")
        var json: String?
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an app (you get CAN_MANAGE on it); prints the App.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The name: 2 to 30 lowercase letters, digits and hyphens.") var name: String
        @OptionGroup var flags: AppFlags
        @Flag(name: .customLong("no-compute"), help: "Create it stopped.") var noCompute = false

        func validate() throws {
            if let problem = AppName.problem(name) { throw ValidationError(problem) }
        }

        func run() async throws {
            let body = AppsCommand.app(base: try AppsCommand.readJSON(flags.json), name: name, description: flags.description,
                                       scopes: flags.userAPIScopes.isEmpty ? nil : flags.userAPIScopes, clearScopes: flags.noScopes)
            let reply = try await VigilClient(connection).call(.POST, "/api/2.0/apps", query: noCompute ? [("no_compute", "true")] : [], body: body)
            print(JSONWriter.text(of: reply))
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an app.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, AppsCommand.path(name))))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the apps you may use.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("output"), help: "table or json.") var output: OutputFormat = .table

        func run() async throws {
            let client = try VigilClient(connection)
            var apps: [JSONValue] = []
            var token: String?
            repeat {
                let reply = try await client.call(.GET, "/api/2.0/apps", query: [("page_size", "100")] + (token.map { [("page_token", $0)] } ?? []))
                if case .array(let page)? = reply["apps"] { apps += page }
                if case .string(let next)? = reply["next_page_token"] { token = next } else { token = nil }
            } while token != nil
            guard output == .table else {
                return print(output == .json ? JSONWriter.text(of: .array(apps)) : apps.map(JSONWriter.text(of:)).joined(separator: "\n"))
            }
            var table = TableRenderer(headers: ["NAME", "STATE", "CREATOR", "URL", "DESCRIPTION"])
            for app in apps {
                table.add([EventPrinter.text(app["name"]), EventPrinter.text(app["compute_status"]?["state"]), EventPrinter.text(app["creator"]),
                           EventPrinter.text(app["url"]), EventPrinter.text(app["description"])])
            }
            print(table.render())
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an app: the flags change those fields and keep the others (the API replaces the whole App).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @OptionGroup var flags: AppFlags

        func run() async throws {
            let client = try VigilClient(connection)
            var base = try AppsCommand.readJSON(flags.json)
            if base == nil { base = try await client.call(.GET, AppsCommand.path(name)) }
            let body = AppsCommand.app(base: base, name: name, description: flags.description,
                                       scopes: flags.userAPIScopes.isEmpty ? nil : flags.userAPIScopes, clearScopes: flags.noScopes)
            print(JSONWriter.text(of: try await client.call(.PATCH, AppsCommand.path(name), body: body)))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an app, its permissions and (within a minute) its logs.")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.DELETE, AppsCommand.path(name))))
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an app started (compute_status ACTIVE).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.POST, AppsCommand.path(name) + "/start", body: Array("{}".utf8))))
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an app stopped (compute_status STOPPED).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String

        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.POST, AppsCommand.path(name) + "/stop", body: Array("{}".utf8))))
        }
    }

    struct LogSettings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log-settings", abstract: "Show or set how long an app's log lines are kept (its own, or the server's default).")
        @OptionGroup var connection: ConnectionOptions
        @Argument var name: String
        @Option(help: "Keep this app's lines this long: a number with s, m, h or d, e.g. 30d.") var retention: String?
        @Flag(name: .customLong("default-retention"), help: "Use the server's --app-log-retention again.") var useDefault = false

        func validate() throws {
            if retention != nil && useDefault { throw ValidationError("give --retention or --default-retention, not both") }
        }

        func run() async throws {
            let path = "/api/2.0/vigil/apps/\(name)/log-settings"
            let client = try VigilClient(connection)
            guard retention != nil || useDefault else { return print(JSONWriter.text(of: try await client.call(.GET, path))) }
            let value: JSONValue = retention.map(JSONValue.string) ?? .null
            let body = Array(JSONWriter.text(of: .object([JSONMember("retention", value)])).utf8)
            print(JSONWriter.text(of: try await client.call(.PATCH, path, body: body)))
        }
    }
}
