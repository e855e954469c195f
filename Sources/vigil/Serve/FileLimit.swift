#if canImport(Glibc)
import Glibc
#endif

/// Each connection holds a file descriptor, and so do the database, its WAL and the SQL connections. The usual
/// soft limit (1024) would let --max-connections exhaust them first, so `vigil serve` raises its soft limit to
/// the hard one, as servers do, when it is lower than the connections need.
enum FileLimit {
    /// Descriptors kept for everything but client connections.
    static let reserve: rlim_t = 256

    static func raiseForConnections(_ connections: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(max(0, connections)) + reserve
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
