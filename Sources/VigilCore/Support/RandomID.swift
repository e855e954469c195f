/// Random identifiers from the system CSPRNG (`SystemRandomNumberGenerator` reads getrandom(2) on Linux).
public enum RandomID {
    /// `byteCount` random bytes as lowercase hex (an `event_id` is 16 bytes = 32 hex characters).
    public static func hex(byteCount: Int = 16) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Hex.encode(bytes)
    }
}

public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
