import ArgumentParser
import VigilCore

/// `vigil groups`: the legacy `databricks groups` verbs over `/api/2.0/groups/*`.
struct GroupsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "groups", abstract: "Manage groups and membership (verbs of the databricks CLI).",
        subcommands: [List.self, Create.self, Delete.self, AddMember.self, RemoveMember.self, ListMembers.self, ListParents.self])

    /// Exactly one member: a user, a group or a service principal.
    struct MemberOptions: ParsableArguments {
        @Option(name: .customLong("user-name")) var userName: String?
        @Option(name: .customLong("group-name")) var groupName: String?
        @Option(name: .customLong("service-principal-name"), help: "The application id.") var servicePrincipalName: String?

        func validate() throws {
            guard [userName, groupName, servicePrincipalName].compactMap({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --user-name, --group-name or --service-principal-name")
            }
        }

        var members: [JSONMember] {
            [("user_name", userName), ("group_name", groupName), ("service_principal_name", servicePrincipalName)]
                .compactMap { key, value in value.map { JSONMember(key, .string($0)) } }
        }
    }

    static func post(_ connection: ConnectionOptions, _ path: String, _ members: [JSONMember]) async throws -> JSONValue {
        try await VigilClient(connection).call(.POST, path, body: Array(JSONWriter.text(of: .object(members)).utf8))
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List group names.")
        @OptionGroup var connection: ConnectionOptions
        func run() async throws { print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, "/api/2.0/groups/list"))) }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a group.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("group-name")) var groupName: String
        func run() async throws {
            print(JSONWriter.text(of: try await GroupsCommand.post(connection, "/api/2.0/groups/create", [JSONMember("group_name", .string(groupName))])))
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a group (not admins or users).")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("group-name")) var groupName: String
        func run() async throws { _ = try await GroupsCommand.post(connection, "/api/2.0/groups/delete", [JSONMember("group_name", .string(groupName))]) }
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add a user, group or service principal to a group.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("parent-name")) var parentName: String
        @OptionGroup var member: MemberOptions
        func run() async throws {
            _ = try await GroupsCommand.post(connection, "/api/2.0/groups/add-member", [JSONMember("parent_name", .string(parentName))] + member.members)
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-member", abstract: "Remove a direct member from a group.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("parent-name")) var parentName: String
        @OptionGroup var member: MemberOptions
        func run() async throws {
            _ = try await GroupsCommand.post(connection, "/api/2.0/groups/remove-member", [JSONMember("parent_name", .string(parentName))] + member.members)
        }
    }

    struct ListMembers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-members", abstract: "Direct members of a group.")
        @OptionGroup var connection: ConnectionOptions
        @Option(name: .customLong("group-name")) var groupName: String
        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, "/api/2.0/groups/list-members", query: [("group_name", groupName)])))
        }
    }

    struct ListParents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-parents", abstract: "Groups a user, group or service principal belongs to directly.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var member: MemberOptions
        func run() async throws {
            let query = member.members.compactMap { member -> (String, String)? in
                if case .string(let value) = member.value { (member.key, value) } else { nil }
            }
            print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, "/api/2.0/groups/list-parents", query: query)))
        }
    }
}
