#if canImport(Glibc)
import Glibc
#endif

/// Each connection holds a file descriptor, and so do the database, its WAL and the SQL connections; a refused
/// connection holds one for a moment too, so a flood of them needs headroom past --max-connections. The usual soft
/// limit (1024) would run out first, so `vigil serve` raises its soft limit towards the hard one, as servers do:
/// to at least 65,536 (or the connections plus a reserve, if more), never past the hard limit.
enum FileLimit {
    /// Descriptors kept for everything but client connections.
    static let reserve: rlim_t = 256

    static func raiseForConnections(_ connections: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = max(rlim_t(max(0, connections)) + reserve, 65_536)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
