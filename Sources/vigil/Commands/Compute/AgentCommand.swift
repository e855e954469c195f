import ArgumentParser
import Foundation
import VigilAgent
import VigilCore

#if canImport(Glibc)
import Glibc
#endif

/// `vigil agent`: samples this host every interval and reports it to Vigil as one heartbeat carrying the
/// interval's `system.compute.node_timeline` row. The cluster follows its agents: the driver's first report makes it
/// RUNNING, workers joining and leaving resize it, an agent that stops reporting is a lost node.
///
/// The loop itself is `NodeAgent` (VigilAgent). This command resolves the connection as every client command does,
/// then replaces itself with the small `vigil-agent` program built beside `vigil`, so the long-lived process does not
/// carry the server's code and Foundation's ICU (about 35 MB resident instead of under 20).
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Report this host's CPU, memory, network and disk use and its liveness to a cluster.",
        discussion: """
            Every --interval seconds the agent sends one report: CPU user, system and iowait % (from /proc/stat), \
            memory used % ((MemTotal - MemAvailable) / MemTotal, or against memory.max inside a cgroup v2 container \
            with a limit), swap %, network bytes sent and received (all interfaces but lo) and free bytes of each real \
            mount point. A cluster that does not exist is registered (you need CAN_USE on audit-logs/all or admin). \
            While the server cannot be reached, rows are kept (in --spool-file too when given) and sent when it can. \
            SIGTERM or SIGINT send a last report saying this node leaves, so it is not counted as lost.

            The agent runs as the small program vigil-agent found beside vigil (VIGIL_AGENT_BINARY names another \
            path; VIGIL_AGENT_BINARY=none keeps it inside vigil, which uses more memory).
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: AgentOptions

    func run() async throws {
        let (baseURL, token) = try connection.resolve()
        if let program = Self.agentProgram() {
            try Self.replaceProcess(with: program, arguments: options.arguments, baseURL: baseURL, token: token,
                                    caCertificate: connection.caCertificate)
        }
        do {
            try await NodeAgent.run(options, connection: try AgentConnection(baseURL: baseURL, token: token, caCertificate: connection.caCertificate))
        } catch {
            throw CLIFailure(error.message, exitCode: error.exitCode)
        }
    }

    /// `vigil-agent` beside this executable, or VIGIL_AGENT_BINARY; nil to run in this process.
    static func agentProgram() -> String? {
        if let named = ProcessInfo.processInfo.environment["VIGIL_AGENT_BINARY"], !named.isEmpty {
            return named == "none" ? nil : named
        }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        let program = (executable as NSString).deletingLastPathComponent + "/vigil-agent"
        return access(program, X_OK) == 0 ? program : nil
    }

    /// execve: the same process (its pid, its parent, its standard streams) continues as `vigil-agent`. The
    /// connection goes in the environment, never in arguments, which ps shows to every user.
    static func replaceProcess(with program: String, arguments: [String], baseURL: String, token: String, caCertificate: String?) throws -> Never {
        var environment = ProcessInfo.processInfo.environment
        environment["VIGIL_HOST"] = baseURL
        environment["VIGIL_TOKEN"] = token
        environment["VIGIL_CA_CERT"] = caCertificate
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        // This thread's signal mask passes to the new program; a worker thread may have blocked SIGTERM and SIGINT,
        // which the agent waits for.
        var nothing = sigset_t()
        sigemptyset(&nothing)
        pthread_sigmask(SIG_SETMASK, &nothing, nil)
        execve(program, argv, envp)
        let reason = String(cString: strerror(errno))
        throw CLIFailure("cannot run \(program): \(reason); set VIGIL_AGENT_BINARY=none to run the agent inside vigil")
    }
}
