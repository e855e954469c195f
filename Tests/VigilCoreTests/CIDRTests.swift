import Testing
import VigilCore

@Suite("CIDR networks")
struct CIDRTests {
    @Test("networks contain their addresses, IPv4 and IPv6; other families and non-addresses never match")
    func contains() throws {
        let ten = try #require(CIDR("10.0.0.0/8"))
        #expect(ten.contains("10.255.1.2") && !ten.contains("11.0.0.1") && !ten.contains("::ffff:10.0.0.1") && !ten.contains("host"))
        let v6 = try #require(CIDR("2001:db8::/32"))
        #expect(v6.contains("2001:db8:ffff::1") && !v6.contains("2001:db9::1") && !v6.contains("10.0.0.1"))
        #expect(try #require(CIDR("0.0.0.0/0")).contains("203.0.113.9"))
        for bad in ["10.0.0.0/33", "10.0.0/8", "2001:db8::/129", "10.0.0.0", "x/8", "10.0.0.0/-1"] {
            #expect(CIDR(bad) == nil, "\(bad)")
        }
    }

    @Test("allow-list entries: a network, or one address as /32 or /128; nonsense is nil")
    func entries() throws {
        let one = try #require(CIDR.entry("192.0.2.7"))
        #expect(one.contains("192.0.2.7") && !one.contains("192.0.2.8"))
        let six = try #require(CIDR.entry("2001:db8::1"))
        #expect(six.contains("2001:db8::1") && !six.contains("2001:db8::2"))
        #expect(CIDR.entry("10.0.0.0/8") == CIDR("10.0.0.0/8"))
        #expect(CIDR.entry("example.com") == nil && CIDR.entry("10.0.0.1/40") == nil && CIDR.entry("") == nil)
    }
}
