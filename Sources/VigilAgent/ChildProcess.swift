#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The pid signals are forwarded to (0: none, the command has ended). A global because a signal handler can reach
/// nothing else.
private let forwardTarget = Atomic<Int32>(0)
/// Set when a forwarded signal arrives after the command ended: `vigil run` then stops waiting to ship.
private let interruptedFlag = Atomic<Bool>(false)

private let forwardedSignal = Atomic<Int32>(0)

/// A command run with its standard input shared and its standard output and error captured through pipes; no other
/// descriptor of this process reaches it.
///
/// The child starts with default signal handling (SIGPIPE included, which Swift's runtime ignores in this process)
/// in this process's group, so a terminal's Ctrl-C reaches it directly. `forwardSignals()` passes SIGINT, SIGTERM,
/// SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to this process on to the child, except those the terminal sent to the
/// whole group (the child has them already).
public final class ChildProcess: Sendable {
    public let pid: pid_t
    /// Read ends of the child's standard output and error.
    public let stdout: Int32
    public let stderr: Int32

    public struct LaunchError: Error, CustomStringConvertible {
        public var description: String
    }

    public static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

    public init(command: [String]) throws {
        guard let executable = command.first, !executable.isEmpty else { throw LaunchError(description: "no command to run") }
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw LaunchError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        // Only the child's dup2'ed copies may outlive exec; the pipe ends themselves stay here.
        for descriptor in outPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        // 1 MiB pipes (Linux's default most a user may ask for) rather than 64 KiB: a burst of output waits there, not
        // in the command, while `vigil run` reads in large pieces. Best effort: the default still works.
        for descriptor in [outPipe[0], errPipe[0]] { _ = fcntl(descriptor, 1031 /* F_SETPIPE_SZ */, Int32(1 << 20)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        // Nothing else goes with the child: not this process's connection to the server, nor its spool files.
        SpawnDescriptors.closeAllButStandard(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in Self.forwardedSignals + [SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var arguments: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var child: pid_t = 0
        let code = posix_spawnp(&child, executable, &actions, &attributes, &arguments, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard code == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw LaunchError(description: "cannot run \(executable): \(String(cString: strerror(code)))")
        }
        pid = child
        stdout = outPipe[0]
        stderr = errPipe[0]
    }

    /// Starts passing this process's signals on to the child (see the type's comment).
    public func forwardSignals() {
        forwardTarget.store(pid, ordering: .relaxed)
        for signal in Self.forwardedSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { number, info, _ in
                let target = forwardTarget.load(ordering: .relaxed)
                guard target > 0 else {
                    // The command has ended: a signal now means "stop waiting for the server".
                    interruptedFlag.store(true, ordering: .relaxed)
                    return
                }
                forwardedSignal.store(number, ordering: .relaxed)
                // SI_KERNEL (0x80): the terminal signalled the whole process group, the child included.
                guard let info, info.pointee.si_code != 0x80 else { return }
                let saved = errno  // the interrupted code may be about to read it
                kill(target, number)
                errno = saved
            }
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// The last signal that arrived while the command ran (passed on to it, or sent by the terminal to both; 0: none):
    /// `vigil job run` tells a cancelled run from a failed one. `resetSignals()` clears it before the next command.
    public static var lastForwardedSignal: Int32 { forwardedSignal.load(ordering: .relaxed) }

    public static func resetSignals() { forwardedSignal.store(0, ordering: .relaxed) }

    /// Whether SIGINT, SIGTERM (...) arrived after the command ended.
    public static var interruptedAfterExit: Bool { interruptedFlag.load(ordering: .relaxed) }

    /// Waits for the child to end (on a thread of its own: `waitpid` blocks). Returns the exit code to pass on:
    /// the child's own, or 128 + the signal that killed it.
    public func waitForExit() async -> (code: Int32, description: String) {
        let exit = await waitForExitWithUsage()
        return (exit.code, exit.description)
    }

    /// How the child ended and what it used (`wait4`'s rusage: the child's own CPU time and peak resident memory).
    public struct Exit: Sendable, Equatable {
        /// The exit code to pass on: the child's own, or 128 + the signal that killed it.
        public var code: Int32
        public var description: String
        /// The signal that killed it, 0 when it exited.
        public var signal: Int32
        public var userMillis: Int64
        public var systemMillis: Int64
        public var peakRSSBytes: Int64
    }

    /// Waits for the child to end (on a thread of its own: `wait4` blocks).
    public func waitForExitWithUsage() async -> Exit {
        await withCheckedContinuation { continuation in
            let pid = pid
            DetachedThread.start {
                var status: Int32 = 0
                var usage = rusage()
                while wait4(pid, &status, 0, &usage) < 0, errno == EINTR {}
                forwardTarget.store(0, ordering: .relaxed)
                let signal = status & 0x7F
                let user = Int64(usage.ru_utime.tv_sec) * 1000 + Int64(usage.ru_utime.tv_usec) / 1000
                let system = Int64(usage.ru_stime.tv_sec) * 1000 + Int64(usage.ru_stime.tv_usec) / 1000
                // Linux reports ru_maxrss in kilobytes.
                let rss = Int64(usage.ru_maxrss) * 1024
                if signal == 0 {
                    let code = (status >> 8) & 0xFF
                    continuation.resume(returning: Exit(code: code, description: "exited with code \(code)", signal: 0, userMillis: user,
                                                        systemMillis: system, peakRSSBytes: rss))
                } else {
                    continuation.resume(returning: Exit(code: 128 + signal, description: "was killed by signal \(signal)", signal: signal,
                                                        userMillis: user, systemMillis: system, peakRSSBytes: rss))
                }
            }
        }
    }
}
