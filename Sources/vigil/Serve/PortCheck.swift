import NIOCore
import NIOPosix

/// Binds the listening address once before anything starts, so a busy or forbidden port is one line naming it,
/// not a cancelled service group's log followed by the bind error.
enum PortCheck {
    static func ensureAvailable(host: String, port: Int) async throws {
        guard port != 0 else { return }
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
            try await channel.close()
        } catch let error as IOError {
            let address = "\(host):\(port)"
            switch error.errnoCode {
            case EADDRINUSE:
                throw CLIFailure("cannot listen on \(address): the address is already in use (another vigil serve, or another program); stop it or choose another --port")
            case EACCES:
                throw CLIFailure("cannot listen on \(address): permission denied (ports below 1024 need root)")
            case EADDRNOTAVAIL:
                throw CLIFailure("cannot listen on \(address): \(host) is not an address of this machine; use --host 0.0.0.0 or one of its addresses")
            default:
                throw CLIFailure("cannot listen on \(address): \(String(cString: strerror(error.errnoCode)).lowercased())")
            }
        } catch {
            throw CLIFailure("cannot listen on \(host):\(port): \(error)")
        }
    }
}
