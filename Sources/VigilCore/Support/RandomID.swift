/// Random identifiers from the system CSPRNG (`SystemRandomNumberGenerator` reads getrandom(2) on Linux).
public enum RandomID {
    /// `byteCount` random bytes as lowercase hex (an `event_id` is 16 bytes = 32 hex characters).
    public static func hex(byteCount: Int = 16) -> String {
        // Eight bytes per draw: each draw of the system generator is a getrandom(2) call.
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(byteCount + 7)
        while bytes.count < byteCount {
            withUnsafeBytes(of: generator.next() as UInt64) { bytes.append(contentsOf: $0) }
        }
        return Hex.encode(bytes.prefix(byteCount))
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
