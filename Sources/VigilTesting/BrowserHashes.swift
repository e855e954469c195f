import Crypto
import Foundation

/// How a Content-Security-Policy names an inline script or style: `'sha256-<base64 of its SHA-256>'`.
public enum BrowserHashes {
    public static func sha256(_ text: String) -> String {
        "'sha256-" + Data(SHA256.hash(data: Array(text.utf8))).base64EncodedString() + "'"
    }
}
