#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Makes a spawned child start with only the descriptors its spawn actions set up (0, 1 and 2).
///
/// SwiftNIO opens and accepts sockets without close-on-exec, so without this a child inherits every connection the
/// parent has open at that moment and holds it open for its whole life: the parent's `close` then sends no FIN, and a
/// server closing an idle connection, or a client closing its request, is silently undone.
public enum SpawnDescriptors {
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc (2.34 on) has `posix_spawn_file_actions_addclosefrom_np`, but Swift's Glibc module does not export it.
    nonisolated(unsafe) private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    /// Adds to `actions` the closing of every descriptor from 3 up, after the actions already added.
    public static func closeAllButStandard(_ actions: inout posix_spawn_file_actions_t) {
        if let closeFrom, closeFrom(&actions, 3) == 0 { return }
        // An older C library: close what is open now (glibc ignores a descriptor closed meanwhile). A socket another
        // thread opens between this listing and the spawn still reaches the child: glibc 2.34 and later close that gap.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }
}
