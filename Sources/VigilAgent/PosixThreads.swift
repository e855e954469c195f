#if canImport(Glibc)
import Glibc
#endif

// Threads and a condition variable straight from pthreads: Foundation's `Thread` and `NSCondition` would pull the
// whole of Foundation and ICU into `vigil-agent`, which must stay under 20 MB.

/// A thread of its own for work that blocks (`read` on a pipe, `wait4`).
enum DetachedThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            let box = Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue()
            box.body()
            return nil
        }, box)
        // Without its thread the work cannot happen elsewhere (run here, a pipe reader would block the cutting thread
        // it feeds): stop with the reason, as Foundation's Thread does.
        guard started == 0 else { fatalError("cannot start a thread: \(String(cString: strerror(started)))") }
        pthread_detach(thread)
    }
}

/// A mutex with a condition variable (what `NSCondition` is), for the two threads of a pipe reader.
final class ThreadCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Waits for a `broadcast` (or a spurious wake-up: callers loop on their condition); the lock must be held.
    func wait() { pthread_cond_wait(condition, mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Writes to file descriptor 2 (C's `stderr` is a global Swift 6 will not share between threads).
public enum StandardError {
    public static func write(_ text: String) {
        Array(text.utf8).withUnsafeBytes { PipeReader.writeAll(2, $0) }
    }
}
