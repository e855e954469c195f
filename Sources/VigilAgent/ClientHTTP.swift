import AsyncHTTPClient
import NIOSSL
import Synchronization

/// The HTTP client of Vigil's client programs (the CLI, `vigil run`, `vigil-agent`): one per CA file for the life of
/// the process (AsyncHTTPClient traps when one is released unshut). Connection refusals fail at once instead of
/// being retried until the request deadline (AsyncHTTPClient's default), so an unreachable server is reported in
/// milliseconds. With a CA certificate the server's must chain to it (a private CA or a self-signed certificate);
/// otherwise the system's trust store decides.
public enum ClientHTTP {
    /// A CA file that cannot be used; the message names it.
    public struct SetupFailure: Error {
        public let message: String
    }

    public static func shared(trusting caCertificate: String?) throws(SetupFailure) -> HTTPClient {
        try clients.withLock { (clients) throws(SetupFailure) -> HTTPClient in
            if let client = clients[caCertificate ?? ""] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.tlsConfiguration = try tlsConfiguration(trusting: caCertificate)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[caCertificate ?? ""] = client
            return client
        }
    }

    private static let clients = Mutex<[String: HTTPClient]>([:])

    /// TLS 1.2+ trusting `caCertificate` (a PEM file) when given, else the system's roots; nil when there is no file.
    public static func tlsConfiguration(trusting caCertificate: String?) throws(SetupFailure) -> TLSConfiguration? {
        guard let caCertificate else { return nil }
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(caCertificate)
        } catch {
            throw SetupFailure(message: "cannot read the CA certificate \(caCertificate): not a readable PEM file")
        }
        guard !roots.isEmpty else { throw SetupFailure(message: "the CA certificate file \(caCertificate) holds no PEM certificate") }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(roots)
        tls.minimumTLSVersion = .tlsv12
        return tls
    }
}
