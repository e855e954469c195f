import ArgumentParser
import Foundation
import VigilAPI
import VigilServer

/// `vigil serve`'s transport: TLS, the connection cap, read deadlines and the rate of requests without a token.
struct ServeTransportOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS only (TLS 1.2+). Reloaded on SIGHUP (env VIGIL_TLS_CERT).")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert (env VIGIL_TLS_KEY).")
    var tlsKey: String?

    var certificateFile: String? { tlsCertificate ?? ProcessInfo.processInfo.environment["VIGIL_TLS_CERT"] }
    var keyFile: String? { tlsKey ?? ProcessInfo.processInfo.environment["VIGIL_TLS_KEY"] }

    @Option(name: .customLong("max-connections"), help: "Open connections at most; past it new ones are refused at once (503 over HTTP, closed over TLS).")
    var maxConnections: Int = ConnectionLimits().maxConnections

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may wait for its next request (at least --header-timeout).")
    var idleTimeout: Int = 60

    @Option(name: .customLong("header-timeout"), help: "Seconds a new connection has to send its first request's head (slow clients are closed).")
    var headerTimeout: Int = 10

    @Option(name: .customLong("body-timeout"), help: "Seconds a client has to send a request's body after its head.")
    var bodyTimeout: Int = 120

    @Option(name: .customLong("unauthenticated-rate"), help: "Requests per second one address may make without a valid token; more get 429.")
    var unauthenticatedRate: Double = AddressRateLimiter.Limits().rate

    @Option(name: .customLong("unauthenticated-burst"), help: "Requests at once one address may make without a valid token before the rate applies.")
    var unauthenticatedBurst: Double = AddressRateLimiter.Limits().burst

    func validate() throws {
        guard (certificateFile == nil) == (keyFile == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together: give both files or neither")
        }
        guard maxConnections > 0, idleTimeout > 0, headerTimeout > 0, bodyTimeout > 0 else {
            throw ValidationError("--max-connections, --idle-timeout, --header-timeout and --body-timeout must be positive")
        }
        guard unauthenticatedRate > 0, unauthenticatedBurst >= 1 else {
            throw ValidationError("--unauthenticated-rate must be positive and --unauthenticated-burst at least 1")
        }
    }

    func apply(to configuration: inout VigilConfiguration) {
        if let certificateFile, let keyFile {
            configuration.tls = .init(certificatePath: certificateFile, keyPath: keyFile)
        }
        configuration.connections = ConnectionLimits(
            maxConnections: maxConnections, idleTimeout: .seconds(idleTimeout), headerTimeout: .seconds(headerTimeout),
            bodyTimeout: .seconds(bodyTimeout))
        configuration.unauthenticated = AddressRateLimiter.Limits(rate: unauthenticatedRate, burst: unauthenticatedBurst)
    }
}
