#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Lets the kernel take back the agent's start-up code once the loop runs. Parsing arguments, setting up the
/// HTTP client and the first report touch about 5 MB of the program's code that the loop never runs again; those
/// pages would stay counted in the agent's RSS for its whole life. `MADV_DONTNEED` on the program's own read-only,
/// executable mapping unmaps its pages (they are clean copies of the file, still in the page cache), and the ones
/// the loop uses come back at their next use. Nothing writable is touched.
public enum StartupPages {
    public static func release() {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8),
            let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        else { return }
        for line in maps.split(separator: "\n") {
            // start-end perms offset device inode path
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "r-xp", fields[5...].joined(separator: " ") == executable else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16), end > start else { continue }
            _ = madvise(UnsafeMutableRawPointer(bitPattern: start), Int(end - start), MADV_DONTNEED)
        }
    }
}
