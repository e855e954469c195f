import ArgumentParser
import VigilAgent
import VigilCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `vigil-agent`: the node agent as a program of its own. `vigil agent` resolves the connection (flags, variables,
/// the admin-token file) and replaces itself with this program, which links neither the server nor Foundation's
/// international half (ICU): it stays under 20 MB resident where `vigil` itself takes about 35 MB. It can also be
/// run directly, with the server in VIGIL_HOST and the token in VIGIL_TOKEN (never an argument: ps shows those).
struct VigilAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-agent",
        abstract: "Report this host's CPU, memory, network and disk use and its liveness to a Vigil cluster.",
        discussion: """
            The program `vigil agent` runs; see `vigil agent --help`. The server is VIGIL_HOST (an http:// or \
            https:// URL), the token VIGIL_TOKEN, a CA certificate to trust VIGIL_CA_CERT.
            """
    )

    @OptionGroup var options: AgentOptions

    func run() async throws {
        let environment = Self.environment
        guard let host = environment["VIGIL_HOST"], host.lowercased().hasPrefix("http://") || host.lowercased().hasPrefix("https://") else {
            throw Self.fail("VIGIL_HOST must be the server's URL, such as http://127.0.0.1:8080", exitCode: 2)
        }
        guard let token = environment["VIGIL_TOKEN"], !token.isEmpty else {
            throw Self.fail("no token: set VIGIL_TOKEN", exitCode: 2)
        }
        do {
            var base = host
            while base.hasSuffix("/") { base.removeLast() }
            let connection = try AgentConnection(baseURL: base, token: token, caCertificate: environment["VIGIL_CA_CERT"])
            // Twice: argument parsing is done here, the client's first connection after the first report.
            StartupPages.release()
            try await NodeAgent.run(options, connection: connection, afterStart: StartupPages.release)
        } catch {
            throw Self.fail(error.message, exitCode: error.exitCode)
        }
    }

    /// Says `message` as `vigil agent: …` and ends with `exitCode`.
    static func fail(_ message: String, exitCode: Int32) -> ExitCode {
        StandardError.write("vigil agent: \(TerminalText.escape(message))\n")
        return ExitCode(exitCode)
    }

    static var environment: [String: String] { ProcessInfo.processInfo.environment }
}

/// Exit codes as `vigil`'s: 0 ok, 1 failure, 2 usage error (ArgumentParser's own would be 64).
@main
enum VigilAgentMain {
    static func main() async {
                do {
            var command = try VigilAgentCommand.parseAsRoot()
            guard var agent = command as? VigilAgentCommand else { return try command.run() }
            try await agent.run()
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            let code = VigilAgentCommand.exitCode(for: error)
            if code == .success { VigilAgentCommand.exit(withError: error) }
            StandardError.write(VigilAgentCommand.fullMessage(for: error) + "\n")
            exit(code == .validationFailure ? 2 : 1)
        }
    }
}

