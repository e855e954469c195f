import ArgumentParser
import Foundation

/// `vigil`: the server and its command-line client. Exit codes: 0 ok, 1 failure, 2 usage error.
struct VigilCommand: AsyncParsableCommand {
    static let version = "0.6.0"

    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Self-hosted audit log and monitoring server in the Databricks system.access.audit shape.",
        version: "vigil \(version) (commit \(buildCommit))",
        subcommands: [
            ServeCommand.self, EventsCommand.self, NodeTimelineCommand.self, SQLCommand.self, TokensCommand.self, UsersCommand.self, ServicePrincipalsCommand.self,
            GroupsCommand.self, PermissionsCommand.self, AccessCommand.self, VerifyCommand.self, LedgerCommand.self, AppsCommand.self,
            RunCommand.self, AgentCommand.self, ClustersCommand.self, JobCommand.self, JobsCommand.self, DetectionsCommand.self, AlertsCommand.self,
            DeliveryCommand.self, ImportCommand.self, HostLogsCommand.self,
        ]
    )
}

@main
enum VigilMain {
    static func main() async {
        if let unknown = CommandSuggestion.unknownCommand(in: Array(CommandLine.arguments.dropFirst()), root: VigilCommand.self) {
            FileHandle.standardError.write(Data("vigil: \(unknown)\n".utf8))
            exit(2)
        }
        do {
            var command = try VigilCommand.parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("vigil: \(failure.message)\n".utf8))
            exit(failure.exitCode)
        } catch {
            let code = VigilCommand.exitCode(for: error)
            if code == .validationFailure {
                // ArgumentParser uses 64 (EX_USAGE); Vigil promises 2 for usage errors, like most Unix tools.
                FileHandle.standardError.write(Data((VigilCommand.fullMessage(for: error) + "\n").utf8))
                exit(2)
            }
            if code == .success {
                VigilCommand.exit(withError: error)
            }
            FileHandle.standardError.write(Data("vigil: \(VigilCommand.message(for: error))\n".utf8))
            exit(1)
        }
    }
}

/// A failure the user should read, in one line (server unreachable, request refused): exit status 1, or 2 for a
/// usage error that needs no usage text (a host without a scheme, no token).
struct CLIFailure: Error {
    let message: String
    let exitCode: Int32
    init(_ message: String, exitCode: Int32 = 1) {
        self.message = message
        self.exitCode = exitCode
    }
}
