import Foundation
import GatehouseCore
import HTTPTypes
import Testing

/// The dashboard's sign-in, session and proxy (`docs/SECURITY.md`, "The dashboard").
@Suite("Dashboard: sign-in, session, proxy, CSRF") struct DashboardSignInTests {
    @Test("an operator signs in through the hosted login page; the page never sees the access token")
    func operatorSignsIn() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await DashboardBrowser.makeOperator(fixtures)
            let browser = DashboardBrowser(client: client)
            let callback = try await browser.signIn(email: "ops@example.com")
            #expect(callback.status == .found)
            #expect(callback.location == "/dashboard/")
            let cookie = try #require(callback.headers[values: .setCookie].first { $0.hasPrefix("gatehouse_dashboard=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("Path=/dashboard"))
            let shell = try await client.request(.get, "/dashboard/")
            #expect(shell.status == .ok)
            #expect(shell.text.contains("ops@example.com"))
            #expect(!shell.text.contains("eyJ"), "no JWT in the page")
            let policy = try #require(shell.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'"))
            #expect(!policy.contains("unsafe-inline"))
            let list = try await browser.api(.get, "/actions/actions")
            #expect(list.status == .ok, "\(list.text)")
            #expect(list.json["actions"]?.arrayValue != nil)
        }
    }

    @Test("state-changing calls need this origin and the session's CSRF token")
    func csrf() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await DashboardBrowser.makeOperator(fixtures)
            let browser = DashboardBrowser(client: client)
            _ = try await browser.signIn(email: "ops@example.com")
            let csrf = try await browser.csrfToken()
            let draft: JSONValue = .object([
                "name": "from-dashboard", "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
                "code": "exports.onExecutePostLogin = async (event, api) => {};",
            ])
            let noToken = try await browser.api(.post, "/actions/actions", draft)
            #expect(noToken.status == .forbidden)
            #expect(noToken.json["errorCode"] == "csrf_refused")
            let wrongToken = try await browser.api(.post, "/actions/actions", draft, csrf: "not-the-token")
            #expect(wrongToken.status == .forbidden)
            let otherSite = try await browser.api(.post, "/actions/actions", draft, csrf: csrf, origin: "https://evil.example")
            #expect(otherSite.status == .forbidden)
            let noOrigin = try await browser.api(.post, "/actions/actions", draft, csrf: csrf, origin: nil)
            #expect(noOrigin.status == .forbidden)
            let created = try await browser.api(.post, "/actions/actions", draft, csrf: csrf)
            #expect(created.status == .created, "\(created.text)")
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token)
            #expect(logs.text.contains("from-dashboard") || logs.status == .ok)
        }
    }

    @Test("the proxy reaches Management API paths only, and forwards no cookie")
    func proxyStaysInTheAPI() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await DashboardBrowser.makeOperator(fixtures)
            let browser = DashboardBrowser(client: client)
            _ = try await browser.signIn(email: "ops@example.com")
            let climb = try await client.request(.get, "/dashboard/api/v2/../../oauth/token")
            #expect(climb.status == .notFound)
            let encoded = try await client.request(.get, "/dashboard/api/v2/%2E%2E/%2E%2E/oauth/token")
            #expect(encoded.status == .notFound)
        }
    }

    @Test("signing out ends the dashboard session and the SSO session")
    func signOut() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await DashboardBrowser.makeOperator(fixtures)
            let browser = DashboardBrowser(client: client)
            _ = try await browser.signIn(email: "ops@example.com")
            let csrf = try await browser.csrfToken()
            let forged = try await client.form("/dashboard/logout", ["csrf_token": csrf], headers: [.origin: "https://evil.example"])
            #expect(forged.status == .forbidden)
            #expect(try await browser.api(.get, "/actions/actions").status == .ok)
            let out = try await client.form("/dashboard/logout", ["csrf_token": csrf], headers: [.origin: DashboardBrowser.origin])
            #expect(out.status == .seeOther)
            let logout = try #require(out.location)
            #expect(logout.hasPrefix("/v2/logout?"))
            let back = try await client.request(.get, logout)
            #expect(back.location == TestServer.issuer + "dashboard/signed-out")
            let after = try await browser.api(.get, "/actions/actions")
            #expect(after.status == .unauthorized)
            #expect(after.json["errorCode"] == "dashboard_session_ended")
            // The SSO session ended too: signing in again shows the login page.
            let again = try await client.request(.get, "/dashboard/login")
            let authorize = try await client.request(.get, try #require(again.location))
            #expect(authorize.location?.hasPrefix("/u/login") == true)
        }
    }

    @Test("a session whose time is up is gone")
    func expiry() async throws {
        try await TestServer.run { client in
            let storage = client.server.services.storage
            let secret = RandomIdentifier.token(byteCount: 32)
            let past = Timestamp.nowMillis() - 1000
            try await storage.read { repositories in
                try await repositories.dashboardSessions.insert(
                    .init(
                        id: "dsh_old", user_id: "auth0|x", user_name: "x", sso_session_id: nil, csrf_token: "c", scope: "read:actions",
                        created_at: past - 60_000, expires_at: past, access_token: "t"),
                    secretHash: SecretComparison.digest(secret))
            }
            let page = try await client.request(.get, "/dashboard/", headers: [.cookie: "gatehouse_dashboard=\(secret)"])
            #expect(page.status == .found)
            #expect(page.location == "/dashboard/login")
            let api = try await client.request(
                .get, "/dashboard/api/v2/actions/actions", headers: [.cookie: "gatehouse_dashboard=\(secret)"])
            #expect(api.status == .unauthorized)
        }
    }

    @Test("a callback without this browser's sign-in, or with another state, is refused")
    func callbackChecks() async throws {
        try await TestServer.run { client in
            let bare = try await client.request(.get, "/dashboard/callback?code=abc&state=xyz")
            #expect(bare.status == .badRequest)
            _ = try await client.request(.get, "/dashboard/login")
            let wrongState = try await client.request(.get, "/dashboard/callback?code=abc&state=xyz")
            #expect(wrongState.status == .badRequest)
            #expect(wrongState.text.contains("state"))
        }
    }
}
