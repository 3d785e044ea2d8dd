import GatehouseCore
import Testing

@testable import GatehouseHTTP

@Suite("IP ranges and the client address behind proxies") struct IPAddressRangeTests {
    @Test(
        "addresses and CIDR blocks",
        arguments: [
            ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.1", false), ("10.0.0.1", "10.0.0.1", true),
            ("10.0.0.1", "10.0.0.2", false), ("0.0.0.0/0", "192.0.2.1", true), ("2001:db8::/32", "2001:db8:1::5", true),
            ("2001:db8::/32", "2001:db9::1", false), ("::1", "0:0:0:0:0:0:0:1", true), ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("::ffff:10.0.0.0/104", "10.9.9.9", true), ("192.168.1.0/25", "192.168.1.200", false), ("10.0.0.0/8", "not-an-ip", false),
        ])
    func contains(range: String, address: String, expected: Bool) throws {
        let parsed = try #require(IPAddressRange(range))
        #expect(parsed.contains(address) == expected)
    }

    @Test(
        "malformed entries are refused",
        arguments: ["10.0.0.256", "10.0.0", "10.0.0.0/33", "::1/129", "1:2:3:4:5:6:7:8:9", "10.0.0.1/", "a::b::c", ""])
    func malformed(text: String) {
        #expect(IPAddressRange(text) == nil)
    }

    @Test("GATEHOUSE_TRUSTED_PROXIES parses a comma-separated list and names a bad entry")
    func list() throws {
        #expect(try IPAddressRange.parseList(" 10.0.0.1, 172.16.0.0/12 ,::1").count == 3)
        #expect(throws: ConfigurationError.self) { try IPAddressRange.parseList("10.0.0.1, proxy.local") }
    }

    @Test("X-Forwarded-For: the right-most hop that is not a trusted proxy; never read from an untrusted peer")
    func forwardedFor() throws {
        let trusted = try IPAddressRange.parseList("10.0.0.0/8")
        func client(_ peer: String, _ header: [String]) -> String {
            ClientAddressMiddleware.clientIP(peer: peer, forwardedFor: header, trustedProxies: trusted)
        }
        #expect(client("10.0.0.5", ["198.51.100.7"]) == "198.51.100.7")
        // What the client wrote itself (left of the first untrusted hop) is ignored.
        #expect(client("10.0.0.5", ["1.2.3.4, 198.51.100.7, 10.0.0.9"]) == "198.51.100.7")
        #expect(client("10.0.0.5", ["1.2.3.4", "198.51.100.7"]) == "198.51.100.7")
        // Garbage stops the walk at the last hop known.
        #expect(client("10.0.0.5", ["198.51.100.7, garbage"]) == "10.0.0.5")
        #expect(client("10.0.0.5", ["[2001:db8::1]:443"]) == "2001:db8::1")
        #expect(client("10.0.0.5", ["198.51.100.7:8080"]) == "198.51.100.7")
        #expect(client("10.0.0.5", []) == "10.0.0.5")
    }
}
