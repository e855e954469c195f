#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// base64url without padding (RFC 4648 §5): the opaque form of the page tokens Vigil hands out.
public enum Base64URL {
    public static func encode(_ text: String) -> String {
        String(Data(text.utf8).base64EncodedString().compactMap { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 == "=" ? nil : $0 })
    }

    /// The text `encode` made, or nil for anything else (or anything longer than `maxLength`).
    public static func decode(_ token: String, maxLength: Int = 256) -> String? {
        guard token.count <= maxLength else { return nil }
        var base64 = String(token.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return String(validating: Array(data), as: UTF8.self)
    }
}
