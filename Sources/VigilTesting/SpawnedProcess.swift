import Foundation
import Synchronization
import VigilAgent

/// A child process for tests, started with `posix_spawn` rather than Foundation's `Process`: in full test runs,
/// swift-corelibs-foundation's `Process.run()` crashed in a memcpy (3 of 6 runs before, 1 of 1 after launches were
/// serialised), which no serialising on our side prevents. Standard input comes from a file (or /dev/null), output
/// and error go to files, the environment is exactly the one given, and signals start at their defaults.
public final class SpawnedProcess: Sendable {
    public let processIdentifier: pid_t

    private struct State {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    /// Shared with the thread that waits for the process.
    private final class Exit: Sendable {
        let state = Mutex(State())
    }

    private let exit = Exit()

    public struct LaunchError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts `executable` (a path, or a name looked up in PATH) with `arguments`.
    /// - Parameters:
    ///   - directory: the working directory (through `/bin/sh -c 'cd …'`, which glibc's posix_spawn cannot set here).
    public init(
        executable: String, arguments: [String], environment: [String: String], stdin: String? = nil, stdout: String, stderr: String,
        directory: String? = nil
    ) throws {
        var command = [executable] + arguments
        if let directory { command = ["/bin/sh", "-c", #"cd "$0" && exec "$@""#, directory] + command }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        // Else a child would hold the in-process test servers' connections open after they close them, and a test
        // waiting for a deadline to close its connection would wait for the child instead.
        SpawnDescriptors.closeAllButStandard(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        var variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        var pid: pid_t = 0
        let code = command[0].contains("/")
            ? posix_spawn(&pid, command[0], &actions, &attributes, &arguments, &variables)
            : posix_spawnp(&pid, command[0], &actions, &attributes, &arguments, &variables)
        guard code == 0 else { throw LaunchError(description: "cannot run \(command[0]): \(String(cString: strerror(code)))") }
        processIdentifier = pid
        let exit = exit
        let child = pid
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(child, &status, 0) < 0, errno == EINTR {}
            // As Foundation's terminationStatus: the exit code, or the signal that ended the process.
            let signal = status & 0x7F
            let result = signal == 0 ? (status >> 8) & 0xFF : signal
            let waiters = exit.state.withLock { state in
                state.status = result
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(returning: result) }
        }
    }

    /// The exit status once the process has ended.
    public var terminationStatus: Int32? { exit.state.withLock { $0.status } }

    /// Waits for the end, without holding a concurrency thread.
    public func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = exit.state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    public func signal(_ number: Int32) {
        if terminationStatus == nil { kill(processIdentifier, number) }
    }
}
