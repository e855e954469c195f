import Foundation
import Synchronization

/// One child process launched at a time. Tests that start curl, openssl or `vigil` concurrently crashed inside
/// swift-corelibs-foundation's `Process.run()` (a memcpy past a buffer, in 3 of 6 full runs); in case that is a race
/// between launches, they are serialised (launching is cheap).
enum ProcessLaunch {
    private static let lock = Mutex(())

    static func run(_ process: Process) throws {
        try lock.withLock { _ in try process.run() }
    }
}
