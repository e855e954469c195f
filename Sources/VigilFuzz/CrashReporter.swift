#if canImport(Glibc)
import Glibc
#endif

/// Names the input that crashed the process. The input under test is copied into a preallocated buffer before
/// each run; a fatal signal (a Swift trap is SIGILL or SIGTRAP, a stack overflow SIGSEGV on the alternate stack)
/// writes it with async-signal-safe calls to stderr and to `crash-input` in the working folder, then lets the
/// process die with the signal, so the driving script sees the crash.
enum CrashReporter {
    static let capacity = 1 << 20
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    nonisolated(unsafe) static var length = 0
    nonisolated(unsafe) static var header = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    nonisolated(unsafe) static var headerLength = 0

    static func install() {
        let stackSize = 1 << 20
        var stack = stack_t()
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: stackSize, alignment: 16)
        stack.ss_size = stackSize
        stack.ss_flags = 0
        sigaltstack(&stack, nil)
        for signal in [SIGSEGV, SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGABRT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in CrashReporter.report(signal) }
            action.sa_flags = Int32(SA_ONSTACK) | Int32(bitPattern: UInt32(SA_RESETHAND))
            sigaction(signal, &action, nil)
        }
    }

    /// Records `bytes` (cut at 1 MiB) as the input under test, described by `label` ("sql #123 seed 7").
    static func current(_ label: String, _ bytes: some Collection<UInt8>) {
        let labelBytes = Array(label.utf8.prefix(255))
        labelBytes.withUnsafeBufferPointer { header.update(from: $0.baseAddress!, count: $0.count) }
        headerLength = labelBytes.count
        var count = 0
        for byte in bytes {
            if count == capacity { break }
            buffer[count] = byte
            count += 1
        }
        length = count
    }

    /// Runs in the signal handler: no allocation, no locks, only write(2), open(2) and raise(3).
    static func report(_ signal: Int32) {
        writeText("\nvigil-fuzz: CRASH (signal ")
        var digits: (UInt8, UInt8, UInt8) = (48 + UInt8(signal / 100 % 10), 48 + UInt8(signal / 10 % 10), 48 + UInt8(signal % 10))
        withUnsafeBytes(of: &digits) { _ = write(2, $0.baseAddress, 3) }
        writeText(") on ")
        _ = write(2, header, headerLength)
        writeText("; input saved to crash-input:\n")
        _ = write(2, buffer, min(length, 4096))
        _ = write(2, "\n", 1)
        let descriptor = open("crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if descriptor >= 0 {
            _ = write(descriptor, buffer, length)
            close(descriptor)
        }
        raise(signal)
    }

    /// A string literal's bytes are static: writing them allocates nothing.
    private static func writeText(_ text: StaticString) {
        _ = write(2, text.utf8Start, text.utf8CodeUnitCount)
    }
}
