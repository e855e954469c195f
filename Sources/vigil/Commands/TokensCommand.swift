import ArgumentParser
import VigilCore

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Create, list and revoke your API tokens.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token (yours, or as an admin for a user or service principal); its value is printed once.")
        @OptionGroup var connection: ConnectionOptions
        @Option var comment: String?
        @Option(name: .customLong("lifetime-seconds"), help: "Expire after this many seconds (default: never).")
        var lifetimeSeconds: Int?
        @Option(name: .customLong("user-name"), help: "Admins: issue the token for this user.") var userName: String?
        @Option(name: .customLong("application-id"), help: "Admins: issue the token for this service principal.") var applicationID: String?

        func validate() throws {
            if userName != nil && applicationID != nil { throw ValidationError("give --user-name or --application-id, not both") }
        }

        func run() async throws {
            var writer = JSONWriter()
            writer.beginObject()
            if let userName { writer.key("user_name"); writer.string(userName); writer.comma() }
            if let applicationID { writer.key("application_id"); writer.string(applicationID); writer.comma() }
            writer.key("comment"); writer.string(comment)
            if let lifetimeSeconds {
                writer.comma(); writer.key("lifetime_seconds"); writer.integer(lifetimeSeconds)
            }
            writer.endObject()
            let path = userName != nil || applicationID != nil ? "/api/2.0/token-management/on-behalf-of/tokens" : "/api/2.0/token/create"
            let reply = try await VigilClient(connection).call(.POST, path, body: writer.bytes)
            print(JSONWriter.text(of: reply))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your live tokens.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("output"), help: "table or json.") var output: OutputFormat = .table

        func run() async throws {
            let reply = try await VigilClient(connection).call(.GET, "/api/2.0/token/list")
            guard output == .table else { return print(JSONWriter.text(of: reply)) }
            var table = TableRenderer(headers: ["TOKEN_ID", "CREATED", "EXPIRES", "COMMENT"])
            if case .array(let infos)? = reply["token_infos"] {
                for info in infos {
                    let created = EventPrinter.text(info["creation_time"]).flatMap(Int64.init).map(Timestamp.formatRFC3339)
                    let expiryMillis = EventPrinter.text(info["expiry_time"]).flatMap(Int64.init) ?? -1
                    table.add([EventPrinter.text(info["token_id"]), created,
                               expiryMillis < 0 ? "never" : Timestamp.formatRFC3339(millis: expiryMillis),
                               EventPrinter.text(info["comment"])])
                }
            }
            print(table.render())
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its token_id.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The token_id (see 'vigil tokens list').") var tokenID: String

        func run() async throws {
            var writer = JSONWriter()
            writer.beginObject(); writer.key("token_id"); writer.string(tokenID); writer.endObject()
            _ = try await VigilClient(connection).call(.POST, "/api/2.0/token/delete", body: writer.bytes)
            print("revoked \(TerminalText.escape(tokenID))")
        }
    }
}
