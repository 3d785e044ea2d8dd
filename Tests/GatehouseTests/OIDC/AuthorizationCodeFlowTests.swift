import Foundation
import GatehouseCore
import Testing

@Suite("Authorization code flow through the hosted login page") struct AuthorizationCodeFlowTests {
    static let callback = "https://app.example/callback"

    /// GET /authorize → /u/login → POST credentials → redirect with code.
    static func login(
        _ client: TestClient, app: Fixtures.App, pkce: (verifier: String, challenge: String)? = PKCEPair.make(),
        scope: String = "openid profile email offline_access", extra: String = "", password: String = "correct-horse-battery"
    ) async throws -> TestClient.Reply {
        var uri = "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(callback)&state=xyz&nonce=n-0S6"
        uri += "&scope=\(scope.replacingOccurrences(of: " ", with: "%20"))\(extra)"
        if let pkce { uri += "&code_challenge=\(pkce.challenge)&code_challenge_method=S256" }
        let authorize = try await client.request(.get, uri)
        guard authorize.status == .found, let location = authorize.location, location.hasPrefix("/u/login") else {
            return authorize
        }
        let page = try await client.request(.get, location)
        #expect(page.status == .ok)
        #expect(page.text.contains("<label for=\"password\">"))
        let state = try #require(page.hiddenInput("state"))
        return try await client.form(
            "/u/login?state=\(state)",
            ["state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "username": "jane@example.com", "password": password])
    }

    @Test("a user logs in, the code is exchanged with PKCE, tokens carry nonce, sid and auth_time")
    func fullFlow() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            let pkce = PKCEPair.make()
            let callback = try await Self.login(client, app: app, pkce: pkce)
            #expect(callback.status == .found)
            #expect(callback.location?.hasPrefix(Self.callback) == true)
            #expect(callback.redirectQuery["state"] == "xyz")
            let code = try #require(callback.redirectQuery["code"])
            let exchange = [
                "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "", "code": code,
                "redirect_uri": Self.callback, "code_verifier": pkce.verifier,
            ]
            let tokens = try await client.form("/oauth/token", exchange)
            #expect(tokens.status == .ok, "\(tokens.text)")
            let idToken = jwtClaims(try #require(tokens.json["id_token"]?.stringValue))
            #expect(idToken["sub"]?.stringValue == userID)
            #expect(idToken["aud"]?.stringValue == app.id)
            #expect(idToken["nonce"] == "n-0S6")
            #expect(idToken["email"] == "jane@example.com")
            #expect(idToken["sid"]?.stringValue?.isEmpty == false)
            #expect(idToken["auth_time"] != nil)
            #expect(tokens.json["refresh_token"]?.stringValue != nil)
            let access = try #require(tokens.json["access_token"]?.stringValue)
            #expect(jwtClaims(access)["aud"]?.stringValue == TestServer.issuer + "userinfo")
            let userinfo = try await client.request(.get, "/userinfo", headers: [.authorization: "Bearer \(access)"])
            #expect(userinfo.json["sub"]?.stringValue == userID)
            #expect(userinfo.json["email"] == "jane@example.com")
            // A code is single-use (RFC 6749 §4.1.2).
            let replay = try await client.form("/oauth/token", exchange)
            #expect(replay.json["error"] == "invalid_grant")
        }
    }

    @Test("a wrong code_verifier is refused")
    func wrongVerifier() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let callback = try await Self.login(client, app: app)
            let reply = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "",
                    "code": callback.redirectQuery["code"] ?? "", "redirect_uri": Self.callback,
                    "code_verifier": PKCEPair.make().verifier,
                ])
            #expect(reply.json["error"] == "invalid_grant")
        }
    }

    @Test("a public client must use PKCE; the error goes back to its redirect URI")
    func publicClientNeedsPKCE() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp(name: "SPA", appType: "spa", grantTypes: ["authorization_code", "refresh_token"])
            #expect(app.secret == nil)
            let reply = try await Self.login(client, app: app, pkce: nil)
            #expect(reply.status == .found)
            #expect(reply.redirectQuery["error"] == "invalid_request")
            #expect(reply.redirectQuery["state"] == "xyz")
        }
    }

    @Test("an unregistered redirect_uri gets an error page, never a redirect")
    func redirectMismatch() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let reply = try await client.request(
                .get, "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=https://evil.example/cb&scope=openid")
            #expect(reply.status == .badRequest)
            #expect(reply.location == nil)
            #expect(reply.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(reply.text.contains("Callback URL mismatch"))
        }
    }

    @Test("a wrong password re-renders the page with a readable message; the form needs its CSRF cookie")
    func wrongPasswordAndCSRF() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let reply = try await Self.login(client, app: app, password: "not-the-password")
            #expect(reply.status == .unauthorized)
            #expect(reply.text.contains("Wrong email or password."))
            #expect(reply.text.contains("role=\"alert\""))
            let state = try #require(reply.hiddenInput("state"))
            let forged = try await client.request(
                .post, "/u/login?state=\(state)", headers: [.contentType: "application/x-www-form-urlencoded"],
                body: "state=\(state)&_csrf=\(reply.hiddenInput("_csrf") ?? "")&username=jane%40example.com&password=correct-horse-battery",
                sendCookies: false)
            #expect(forged.status == .forbidden)
        }
    }

    @Test("logins are in the tenant log: fp for a wrong password, s for a success")
    func loginLogs() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            _ = try await Self.login(client, app: app, password: "wrong-password")
            _ = try await Self.login(client, app: app)
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            let types = logs.filter { $0["client_id"]?.stringValue == app.id }.compactMap { $0["type"]?.stringValue }
            #expect(types.prefix(2) == ["s", "fp"])
            #expect(logs.first { $0["type"] == "s" }?["user_id"]?.stringValue == userID)
        }
    }

    @Test("repeated failures are throttled, even with the right password")
    func throttling() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            for _ in 0..<3 {
                #expect(try await Self.login(client, app: app, password: "wrong-password").status == .unauthorized)
            }
            let blocked = try await Self.login(client, app: app)
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.text.contains("Too many failed login attempts"))
        }
    }

    @Test("SSO: a second /authorize re-uses the session; prompt=login asks again; prompt=none without a session fails")
    func singleSignOn() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            _ = try await Self.login(client, app: app)
            let base = "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(Self.callback)&scope=openid&state=s2"
            let silent = try await client.request(.get, base + "&prompt=none")
            #expect(silent.redirectQuery["code"] != nil)
            let again = try await client.request(.get, base)
            #expect(again.redirectQuery["code"] != nil)
            let forced = try await client.request(.get, base + "&prompt=login")
            #expect(forced.location?.hasPrefix("/u/login") == true)
            let logout = try await client.request(.get, "/v2/logout?client_id=\(app.id)&returnTo=https://app.example/logged-out")
            #expect(logout.status == .found)
            #expect(logout.location == "https://app.example/logged-out")
            let afterLogout = try await client.request(.get, base + "&prompt=none")
            #expect(afterLogout.redirectQuery["error"] == "login_required")
            let notAllowed = try await client.request(.get, "/v2/logout?client_id=\(app.id)&returnTo=https://evil.example/")
            #expect(notAllowed.status == .badRequest)
        }
    }

    @Test("response_mode=form_post answers with an auto-submitting form")
    func formPost() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let reply = try await Self.login(client, app: app, extra: "&response_mode=form_post")
            #expect(reply.status == .ok)
            #expect(reply.text.contains("action=\"\(Self.callback)\""))
            #expect(reply.text.contains("name=\"code\""))
        }
    }

    @Test("refresh tokens rotate; reusing a rotated token revokes the whole family")
    func refreshRotation() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let pkce = PKCEPair.make()
            let callback = try await Self.login(client, app: app, pkce: pkce)
            let tokens = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "",
                    "code": callback.redirectQuery["code"] ?? "", "redirect_uri": Self.callback, "code_verifier": pkce.verifier,
                ])
            let first = try #require(tokens.json["refresh_token"]?.stringValue)
            func refresh(_ token: String) async throws -> TestClient.Reply {
                try await client.form(
                    "/oauth/token",
                    ["grant_type": "refresh_token", "client_id": app.id, "client_secret": app.secret ?? "", "refresh_token": token])
            }
            let second = try await refresh(first)
            #expect(second.status == .ok)
            let secondToken = try #require(second.json["refresh_token"]?.stringValue)
            #expect(secondToken != first)
            #expect(second.json["id_token"]?.stringValue != nil)
            let reuse = try await refresh(first)
            #expect(reuse.json["error"] == "invalid_grant")
            let afterReuse = try await refresh(secondToken)
            #expect(afterReuse.json["error"] == "invalid_grant")
        }
    }
}
