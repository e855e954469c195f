import Foundation
import NIOCore
import NIOSSL
import Synchronization
import VigilCore

/// The server's certificate chain and private key, loaded from PEM files into a TLS 1.2+ context, and reloadable
/// (SIGHUP): connections already open keep the context they started with, new ones take the new certificate. A
/// reload that fails keeps the current context and says why.
public final class TLSCertificates: Sendable {
    public let certificatePath: String
    public let keyPath: String
    private let current: Mutex<NIOSSLContext>

    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath))
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    /// Reads both files again and switches new connections to them.
    public func reload() throws {
        let context = try Self.makeContext(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = context }
    }

    static func makeContext(certificatePath: String, keyPath: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw VigilError(.invalidParameter, "cannot read the TLS certificate \(certificatePath): \(Self.reason(error))")
        }
        guard !chain.isEmpty else {
            throw VigilError(.invalidParameter, "the TLS certificate file \(certificatePath) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw VigilError(.invalidParameter, "cannot read the TLS private key \(keyPath): \(Self.reason(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw VigilError(.invalidParameter, "the TLS certificate \(certificatePath) and key \(keyPath) do not make a TLS context: \(Self.reason(error))")
        }
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? NIOSSLError, case .failedToLoadCertificate = error { return "not a PEM certificate" }
        if let error = error as? NIOSSLError, case .failedToLoadPrivateKey = error { return "not a PEM private key" }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }
}
