import Foundation
import GatehouseCore
import SQLKit
import Testing

/// The SSO cookie is a secret: the public session id (`sid`, `event.session.id`) is another
/// value, and the database holds only the cookie's SHA-256.
@Suite("Session cookie secrets") struct SessionSecretTests {
    @Test("the cookie is not the sid; the sessions table holds no cookie value; the sid does not open the session")
    func cookieIsNotTheSid() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let pkce = PKCEPair.make()
            let callback = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce)
            let cookie = try #require(client.cookies["gatehouse_session"])
            let tokens = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "",
                    "code": callback.redirectQuery["code"] ?? "", "redirect_uri": AuthorizationCodeFlowTests.callback,
                    "code_verifier": pkce.verifier,
                ])
            let idToken = try #require(tokens.json["id_token"]?.stringValue)
            let sid = try #require(jwtClaims(idToken)["sid"]?.stringValue)
            #expect(cookie != sid)
            #expect(cookie.count >= 43, "at least 256 bits")
            // Reading the database gives no live session: the row has the sid and a digest only.
            let rows = try await client.server.database.read { db in
                try await db.raw("SELECT id, user_id, document, secret_hash FROM sessions").all().map { row in
                    [
                        try row.decode(column: "id", as: String.self), try row.decode(column: "user_id", as: String.self),
                        try row.decode(column: "document", as: String.self), try row.decode(column: "secret_hash", as: String.self),
                    ]
                }
            }
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row[0] == sid)
            #expect(row[3] == SecretComparison.digest(cookie))
            #expect(!row.contains { $0.contains(cookie) })
            let base =
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&scope=openid"
                + "&prompt=none&state=s"
            // Knowing the sid (every relying party and action does) does not open the session.
            let withSid = try await client.request(.get, base, headers: [.cookie: "gatehouse_session=\(sid)"], sendCookies: false)
            #expect(withSid.redirectQuery["error"] == "login_required")
            // The cookie does, until logout.
            let withCookie = try await client.request(.get, base)
            #expect(withCookie.redirectQuery["code"] != nil)
            #expect(withCookie.headers[values: .setCookie].contains { $0.hasPrefix("gatehouse_session=\(cookie);") })
            _ = try await client.request(.get, "/oidc/logout?client_id=\(app.id)&post_logout_redirect_uri=https://app.example/logged-out")
            let afterLogout = try await client.request(.get, base, headers: [.cookie: "gatehouse_session=\(cookie)"], sendCookies: false)
            #expect(afterLogout.redirectQuery["error"] == "login_required")
        }
    }
}
