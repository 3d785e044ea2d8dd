import Foundation
import GatehouseCore
import GatehouseIdentity
import Testing

/// Unauthenticated writes without bounds, from the server-trust report: each `GET /authorize`
/// stored its parameters for an hour, however large and however many (`docs/SECURITY.md`).
@Suite("/authorize: what an anonymous request may make the server store is bounded") struct AuthorizeLimitsTests {
    static func authorize(_ app: Fixtures.App, extra: String = "") -> String {
        "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&scope=openid"
            + "&code_challenge=\(PKCEPair.make().challenge)&code_challenge_method=S256\(extra)"
    }

    @Test("oversized state, nonce or login_hint, too many parameters or too much in all: a 400 page, nothing stored")
    func oversizedParameters() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let big = String(repeating: "A", count: 60_000)
            let many = (0..<80).map { "&p\($0)=x" }.joined()
            let long = (0..<10).map { "&q\($0)=\(String(repeating: "b", count: 1_900))" }.joined()
            for extra in ["&state=\(big)", "&nonce=\(big)", "&login_hint=\(big)", many, long] {
                let reply = try await client.request(.get, Self.authorize(app, extra: extra))
                #expect(reply.status == .badRequest, "\(extra.prefix(20)): \(reply.status)")
                #expect(reply.location == nil, "no login transaction, no redirect")
                #expect(reply.text.contains("invalid_request"))
            }
            let fine = try await client.request(.get, Self.authorize(app, extra: "&state=\(String(repeating: "s", count: 2_000))"))
            #expect(fine.status == .found)
            #expect(fine.location?.hasPrefix("/u/login") == true)
        }
    }

    @Test("one address cannot start more than 100 logins a minute: the next get 429 with Retry-After")
    func perAddressThrottle() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            var statuses: [Int] = []
            for _ in 0..<105 {
                statuses.append(try await client.request(.get, Self.authorize(app)).status.code)
            }
            #expect(statuses.prefix(100).allSatisfy { $0 == 302 })
            #expect(statuses.suffix(5).allSatisfy { $0 == 429 }, "\(statuses.suffix(5))")
            let refused = try await client.request(.get, Self.authorize(app))
            #expect(refused.headers[.retryAfter] == "60")
        }
    }

    @Test("IPv6 addresses count by their /64: rotating through one network's addresses does not escape the limit")
    func ipv6CountsByNetwork() {
        let throttle = TransactionThrottle(limit: 3, windowSeconds: 60)
        for host in 1...3 { #expect(throttle.admit("2001:db8:1:2::\(host)", now: 1_000)) }
        #expect(!throttle.admit("2001:db8:1:2:ffff:ffff:ffff:ffff", now: 1_000), "the same /64")
        #expect(!throttle.admit("2001:0db8:0001:0002:0000:0000:0000:0009", now: 1_000), "the same /64, written in full")
        #expect(throttle.admit("2001:db8:1:3::1", now: 1_000), "another /64")
        #expect(throttle.admit("192.0.2.1", now: 1_000) && throttle.admit("192.0.2.2", now: 1_000), "IPv4 addresses count alone")
        #expect(throttle.admit("2001:db8:1:2::1", now: 1_061), "the window slides")
    }
}
