import ArgumentParser
import Foundation
import VigilCore

/// `vigil permissions`: the Permissions API with the `databricks permissions` verbs.
struct PermissionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permissions",
        abstract: "Show and change who may do what on an object (audit-logs all|<workspace_id>, authorization tokens, apps <name>).",
        discussion: """
            Examples:
              vigil permissions get audit-logs all
              vigil permissions update audit-logs all --group-name auditors --level CAN_VIEW
              vigil permissions set audit-logs 1001 --json '{"access_control_list":[{"user_name":"a@x.com","permission_level":"CAN_VIEW"}]}'
            """,
        subcommands: [Get.self, Set.self, Update.self, Levels.self])

    struct Object: ParsableArguments {
        @Argument(help: "The object type: audit-logs, authorization or apps.") var objectType: String
        @Argument(help: "The object id: all or a workspace_id for audit-logs, tokens for authorization, an app name for apps.") var objectID: String
        var path: String { "/api/2.0/permissions/\(SCIMClient.escape(objectType))/\(SCIMClient.escape(objectID))" }
    }

    /// One grant from flags, or a whole body from --json.
    struct Change: ParsableArguments {
        @Option(name: .customLong("user-name")) var userName: String?
        @Option(name: .customLong("group-name")) var groupName: String?
        @Option(name: .customLong("service-principal-name")) var servicePrincipalName: String?
        @Option(help: "CAN_VIEW, CAN_USE or CAN_MANAGE (apps: CAN_USE or CAN_MANAGE).") var level: String?
        @Option(help: "The request body: {\"access_control_list\": [...]}.") var json: String?

        func validate() throws {
            let grantees = [userName, groupName, servicePrincipalName].compactMap { $0 }.count
            if json != nil, grantees > 0 || level != nil { throw ValidationError("give --json or a grantee with --level, not both") }
            if json == nil, grantees != 1 || level == nil {
                throw ValidationError("give one of --user-name, --group-name, --service-principal-name and --level, or --json")
            }
        }

        var body: [UInt8] {
            if let json { return Array(json.utf8) }
            let grantee = [("user_name", userName), ("group_name", groupName), ("service_principal_name", servicePrincipalName)]
                .compactMap { key, value in value.map { JSONMember(key, .string($0)) } }
            let entry = JSONValue.object(grantee + [JSONMember("permission_level", .string(level ?? ""))])
            return Array(JSONWriter.text(of: .object([JSONMember("access_control_list", .array([entry]))])).utf8)
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an object's permissions, inherited ones included.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var object: Object
        func run() async throws { print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, object.path))) }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace the object's direct permissions.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var object: Object
        @OptionGroup var change: Change
        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.PUT, object.path, body: change.body)))
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add or change permissions, keeping the others.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var object: Object
        @OptionGroup var change: Change
        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.PATCH, object.path, body: change.body)))
        }
    }

    struct Levels: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get-permission-levels", abstract: "The levels an object type allows.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var object: Object
        func run() async throws {
            print(JSONWriter.text(of: try await VigilClient(connection).call(.GET, object.path + "/permissionLevels")))
        }
    }
}
