import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL
import VigilCore

#if canImport(Glibc)
import Glibc
#endif

/// One line that says why a request did not reach the server, and what to do: what AsyncHTTPClient and NIO
/// throw ("connection reset (error set): Connection refused) (errno: 111)", a BoringSSL error list) is for logs.
/// Used by the CLI's client and by the agent (which lives here so that `vigil-agent` links no more than it needs).
public enum ConnectionFailure {
    public static func describe(_ error: any Error, baseURL: String) -> String {
        let description = String(describing: error)
        if let code = errnoCode(error) {
            switch code {
            case ECONNREFUSED: return "cannot connect to \(baseURL): connection refused — is vigil serve running?"
            case ENETUNREACH, EHOSTUNREACH: return "cannot connect to \(baseURL): the host is unreachable"
            case ETIMEDOUT: return "cannot connect to \(baseURL): the connection timed out"
            case ECONNRESET, EPIPE: return "the connection to \(baseURL) was reset before the answer came; retry (is the server restarting?)"
            default: return "cannot connect to \(baseURL): \(String(cString: strerror(code)).lowercased())"
            }
        }
        if description.contains("WRONG_VERSION_NUMBER") || description.contains("packet length too long") {
            return "cannot talk TLS to \(baseURL): the server answers plain HTTP; use http:// instead of https://"
        }
        if description.contains("CERTIFICATE_VERIFY_FAILED") || description.contains("certificate verify failed") {
            return "the certificate of \(baseURL) is not trusted; pass --ca-cert FILE (or VIGIL_CA_CERT) with the CA that signed it"
        }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return "TLS with \(baseURL) failed: \(TerminalText.escape(description.prefix(200).description))"
        }
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: return "cannot connect to \(baseURL): the connection timed out"
            case .readTimeout, .deadlineExceeded: return "\(baseURL) did not answer in time"
            case .remoteConnectionClosed: return "\(baseURL) closed the connection before answering; retry (is the server restarting?)"
            default: break
            }
        }
        if description.contains("getaddrinfo") || description.contains("Name or service not known") {
            return "cannot connect to \(baseURL): the host name does not resolve"
        }
        return "cannot reach \(baseURL): \(TerminalText.escape(description.prefix(200).description))"
    }

    /// The errno inside NIO's connection errors, if any.
    public static func errnoCode(_ error: any Error) -> Int32? {
        if let io = error as? IOError { return io.errnoCode }
        if let connection = error as? NIOConnectionError {
            return connection.connectionErrors.lazy.compactMap { errnoCode($0.error) }.first
                ?? connection.dnsAError.flatMap(errnoCode) ?? connection.dnsAAAAError.flatMap(errnoCode)
        }
        return nil
    }

    /// A server's refusal as one line: its Databricks `error_code (HTTP n): message`, escaped for the terminal.
    public static func refusal(status: Int, body: [UInt8]) -> String {
        if let value = try? JSONParser.parse(body), case .string(let message)? = value["message"] {
            let code: String = if case .string(let text)? = value["error_code"] { text } else { "HTTP \(status)" }
            return "\(code) (HTTP \(status)): \(TerminalText.escape(message))"
        }
        return "HTTP \(status)"
    }
}
