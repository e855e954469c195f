/// An IPv4 or IPv6 network (`10.0.0.0/8`, `2001:db8::/32`): Sigma's `cidr` modifier, the syslog source's allow list.
public struct CIDR: Sendable, Equatable {
    let network: [UInt8]
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bytes = Self.address(String(parts[0])), let prefix = Int(parts[1]),
              prefix >= 0, prefix <= bytes.count * 8
        else { return nil }
        self.network = bytes
        self.prefix = prefix
    }

    /// An allow-list entry: a network (`10.0.0.0/8`) or one address (`192.0.2.7` is `/32`, `2001:db8::1` is `/128`).
    public static func entry(_ text: String) -> CIDR? {
        CIDR(text) ?? (text.contains("/") ? nil : CIDR(text + (text.contains(":") ? "/128" : "/32")))
    }

    public func contains(_ text: String) -> Bool {
        guard let bytes = Self.address(text), bytes.count == network.count else { return false }
        var left = prefix
        for index in 0..<bytes.count where left > 0 {
            let bits = min(8, left)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != network[index] & mask { return false }
            left -= bits
        }
        return true
    }

    /// 4 bytes for dotted IPv4, 16 for IPv6 (with `::` and an embedded IPv4 tail); nil for anything else.
    static func address(_ text: String) -> [UInt8]? {
        if !text.contains(":") { return ipv4(Substring(text)) }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var tailIPv4: [UInt8] = []
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        for (index, half) in halves.enumerated() {
            if index == 1 { sawGap = true }
            guard !half.isEmpty else { continue }
            var groups = half.split(separator: ":", omittingEmptySubsequences: false)
            if let last = groups.last, last.contains(".") {
                guard let v4 = ipv4(last) else { return nil }
                tailIPv4 = v4
                groups.removeLast()
            }
            for group in groups {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                if index == 0 { head.append(value) } else { tail.append(value) }
            }
        }
        let groupsWanted = tailIPv4.isEmpty ? 8 : 6
        let present = head.count + tail.count
        guard sawGap ? present < groupsWanted : present == groupsWanted else { return nil }
        let words = head + Array(repeating: 0, count: groupsWanted - present) + tail
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } + tailIPv4
    }

    static func ipv4(_ text: Substring) -> [UInt8]? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isASCII), let value = UInt8(octet) else { return nil }
            bytes.append(value)
        }
        return bytes
    }
}
