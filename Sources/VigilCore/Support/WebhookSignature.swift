import Crypto

/// The signature of every webhook Vigil sends (notifications and forwarded batches):
/// `X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Vigil-Timestamp>.<body>")>`, in one place so a receiver
/// checks both the same way.
public enum WebhookSignature {
    public static func hex(secret: String, timestamp: String, body: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        mac.update(data: Array((timestamp + ".").utf8))
        mac.update(data: body)
        return Hex.encode(mac.finalize())
    }
}
