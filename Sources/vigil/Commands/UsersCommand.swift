import ArgumentParser
import Foundation
import VigilCore

/// `vigil users` and `vigil service-principals`: the SCIM endpoints, with the `databricks` CLI's verbs.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "List, show, create, deactivate and delete users (SCIM).",
        subcommands: [List.self, Get.self, Create.self, SetActive.self, Delete.self])

    static let path = "/api/2.0/preview/scim/v2/Users"

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, optionally with a SCIM filter such as 'userName sw alice'.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "SCIM filter: eq, ne, co, sw joined by and/or.") var filter: String?
        @Option(name: .customLong("output"), help: "table or json.") var output: OutputFormat = .table

        func run() async throws {
            let resources = try await SCIMClient.list(VigilClient(connection), UsersCommand.path, filter: filter)
            SCIMClient.print(resources, output: output, columns: [("ID", "id"), ("USER_NAME", "userName"), ("DISPLAY_NAME", "displayName"), ("ACTIVE", "active")])
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one user as SCIM JSON.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The user's id.") var id: String

        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, "\(UsersCommand.path)/\(SCIMClient.escape(id))")))
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("user-name"), help: "Usually the email address.") var userName: String
        @Option(name: .customLong("display-name")) var displayName: String?

        func run() async throws {
            var members = [JSONMember("userName", .string(userName))]
            if let displayName { members.append(JSONMember("displayName", .string(displayName))) }
            let body = Array(JSONWriter.text(of: .object(members)).utf8)
            print(JSONWriter.text(of: try await VigilClient(connection).call(.POST, UsersCommand.path, body: body)))
        }
    }

    struct SetActive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-active", abstract: "Activate or deactivate a user (a deactivated user's tokens stop working).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The user's id.") var id: String
        @Argument(help: "true or false.") var active: Bool

        func run() async throws {
            let body = #"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":\#(active)}]}"#
            let reply = try await VigilClient(connection).call(.PATCH, "\(UsersCommand.path)/\(SCIMClient.escape(id))", body: Array(body.utf8))
            print(JSONWriter.text(of: reply))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a user with their tokens, memberships and grants.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The user's id.") var id: String

        func run() async throws {
            _ = try await VigilClient(connection).send(.DELETE, "\(UsersCommand.path)/\(SCIMClient.escape(id))").checked()
        }
    }
}

struct ServicePrincipalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-principals", abstract: "List, create and delete service principals (SCIM).",
        subcommands: [List.self, Create.self, Delete.self])

    static let path = "/api/2.0/preview/scim/v2/ServicePrincipals"

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List service principals.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "SCIM filter, e.g. 'displayName co shipper'.") var filter: String?
        @Option(name: .customLong("output"), help: "table or json.") var output: OutputFormat = .table

        func run() async throws {
            let resources = try await SCIMClient.list(VigilClient(connection), ServicePrincipalsCommand.path, filter: filter)
            SCIMClient.print(resources, output: output, columns: [("ID", "id"), ("APPLICATION_ID", "applicationId"), ("DISPLAY_NAME", "displayName"), ("ACTIVE", "active")])
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a service principal; give it a token with 'vigil tokens create --application-id'.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("display-name")) var displayName: String
        @Option(name: .customLong("application-id"), help: "Default: a new UUID.") var applicationID: String?

        func run() async throws {
            var members = [JSONMember("displayName", .string(displayName))]
            if let applicationID { members.append(JSONMember("applicationId", .string(applicationID))) }
            let body = Array(JSONWriter.text(of: .object(members)).utf8)
            print(JSONWriter.text(of: try await VigilClient(connection).call(.POST, ServicePrincipalsCommand.path, body: body)))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a service principal and its tokens.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The service principal's id.") var id: String

        func run() async throws {
            _ = try await VigilClient(connection).send(.DELETE, "\(ServicePrincipalsCommand.path)/\(SCIMClient.escape(id))").checked()
        }
    }
}

/// SCIM list paging and printing shared by the identity commands.
enum SCIMClient {
    /// Every resource of a SCIM list, following startIndex until an empty page.
    static func list(_ client: VigilClient, _ path: String, filter: String?) async throws -> [JSONValue] {
        var resources: [JSONValue] = []
        var start = 1
        while true {
            var query = [("startIndex", String(start)), ("count", "500")]
            if let filter { query.append(("filter", filter)) }
            let page = try await client.call(.GET, path, query: query)
            guard case .array(let batch)? = page["Resources"], !batch.isEmpty else { return resources }
            resources += batch
            start += batch.count
        }
    }

    static func print(_ resources: [JSONValue], output: OutputFormat, columns: [(String, String)]) {
        guard output == .table else {
            Swift.print(JSONWriter.text(of: .array(resources)))
            return
        }
        var table = TableRenderer(headers: columns.map(\.0))
        for resource in resources {
            table.add(columns.map { column in
                switch resource[column.1] {
                case .string(let text)?: text
                case .bool(let flag)?: String(flag)
                case .number(let text)?: text
                default: nil
                }
            })
        }
        Swift.print(table.render())
    }

    static func escape(_ component: String) -> String {
        component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? component
    }
}

extension VigilClient.Reply {
    /// The reply, or a failure with the server's message when it is not 2xx.
    func checked() throws -> VigilClient.Reply {
        guard (200..<300).contains(status) else { throw VigilClient.failure(for: self) }
        return self
    }
}
