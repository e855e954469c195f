import ArgumentParser
import VigilCore

/// `vigil access review`: who can do what, and what goes unused.
struct AccessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "access", abstract: "Access reviews.", subcommands: [Review.self])

    struct Review: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Effective permissions (with the groups granting them), admins, unused grants and tokens, dormant users.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "What counts as unused or dormant: no activity in this many days.") var days: Int = 90
        @Option(name: .customLong("output"), help: "table or json.") var output: OutputFormat = .table

        func validate() throws {
            guard (1...3650).contains(days) else { throw ValidationError("--days must be from 1 to 3650") }
        }

        func run() async throws {
            let review = try await VigilClient(connection).call(.GET, "/api/2.0/vigil/access-review", query: [("days", String(days))])
            guard output == .table else { return print(JSONWriter.text(of: review)) }
            func text(_ value: JSONValue?) -> String? { EventPrinter.text(value) }
            func list(_ value: JSONValue?) -> String {
                guard case .array(let items)? = value else { return "" }
                return items.compactMap { text($0) }.joined(separator: " > ")
            }
            // A service principal by its display name and application id ("log shipper (5a0c…)"): the id alone
            // says nothing to a reviewer.
            func name(_ principal: JSONValue) -> String? {
                guard let name = text(principal["name"]) else { return nil }
                guard principal["kind"] == .string("service_principal"), let display = text(principal["display_name"]), display != name else {
                    return name
                }
                return "\(display) (\(name))"
            }
            var permissions = TableRenderer(headers: ["PRINCIPAL", "KIND", "OBJECT", "LEVEL", "VIA"])
            if case .array(let principals)? = review["principals"] {
                for principal in principals {
                    if principal["is_admin"] == .bool(true) {
                        permissions.add([name(principal), text(principal["kind"]), "everything", "admin", list(principal["admin_via"])])
                    }
                    guard case .array(let grants)? = principal["permissions"] else { continue }
                    for grant in grants {
                        let via = list(grant["via"])
                        permissions.add([name(principal), text(principal["kind"]), text(grant["object"]), text(grant["permission_level"]),
                                         via.isEmpty ? "direct" : via])
                    }
                }
            }
            print("Effective permissions\n" + permissions.render() + "\n")
            var unused = TableRenderer(headers: ["GRANTEE", "KIND", "OBJECT", "LEVEL", "LAST_USED"])
            if case .array(let grants)? = review["unused_grants"] {
                for grant in grants {
                    let last = text(grant["last_used_time"]).flatMap(Int64.init).map(Timestamp.formatRFC3339) ?? "never"
                    unused.add([text(grant["grantee"]), text(grant["grantee_kind"]), text(grant["object"]), text(grant["permission_level"]), last])
                }
            }
            print("Grants not used in \(days) days\n" + unused.render() + "\n")
            var tokens = TableRenderer(headers: ["TOKEN_ID", "OWNER", "EXPIRES", "LAST_USED", "COMMENT"])
            if case .array(let items)? = review["tokens"] {
                for token in items {
                    let expiry = text(token["expiry_time"]).flatMap(Int64.init) ?? -1
                    tokens.add([text(token["token_id"]), text(token["owner"]), expiry < 0 ? "never" : Timestamp.formatRFC3339(millis: expiry),
                                text(token["last_used_day"]) ?? "never", text(token["comment"])])
                }
            }
            print("Tokens without expiry or unused in \(days) days\n" + tokens.render() + "\n")
            print("Dormant users (no activity in \(days) days): " + list(review["dormant_users"]).replacingOccurrences(of: " > ", with: ", "))
        }
    }
}
