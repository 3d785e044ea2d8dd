import Foundation
import GatehouseCore
import HTTPTypes
import Testing

/// The attack issue 15 closed, kept closed: a user's token carries management scopes only when
/// it was issued to the dashboard's client, and then only what the user's roles grant of the
/// operator scopes.
@Suite("Dashboard: who gets management scopes") struct DashboardScopeTests {
    static let audience = TestServer.issuer + "api/v2/"

    /// Logs `email` in to `app` asking for management scopes, and returns the access token.
    static func endUserToken(_ client: TestClient, _ app: Fixtures.App, email: String) async throws -> String {
        let pkce = PKCEPair.make()
        var uri = "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=https://app.example/callback&state=s&nonce=n"
        uri += "&scope=openid%20read:actions%20create:actions%20read:users%20read:current_user&audience=\(audience)"
        uri += "&code_challenge=\(pkce.challenge)&code_challenge_method=S256"
        let toPage = try await client.request(.get, uri)
        let page = try await client.request(.get, try #require(toPage.location))
        let state = try #require(page.hiddenInput("state"))
        let posted = try await client.form(
            "/u/login?state=\(state)",
            ["state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "username": email, "password": "correct-horse-battery"])
        let code = try #require(posted.redirectQuery["code"], "\(posted.status) \(posted.text)")
        let tokens = try await client.form(
            "/oauth/token",
            [
                "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "", "code": code,
                "redirect_uri": "https://app.example/callback", "code_verifier": pkce.verifier,
            ])
        return try #require(tokens.json["access_token"]?.stringValue, "\(tokens.text)")
    }

    @Test("an operator logging in to another application gets current-user scopes only")
    func operatorThroughAnotherApp() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await DashboardBrowser.makeOperator(fixtures)
            let app = try await fixtures.createApp()
            let token = try await Self.endUserToken(client, app, email: "ops@example.com")
            let scope = Set((jwtClaims(token)["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
            #expect(scope.contains("read:current_user"))
            #expect(!scope.contains("read:actions"))
            #expect(!scope.contains("read:users"))
            let refused = try await client.json(.get, "/api/v2/actions/actions", token: token)
            #expect(refused.status == .forbidden)
        }
    }

    @Test("a user without the operator role signs in to the dashboard and is told, with no session")
    func userWithoutTheRole() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await fixtures.createUser(email: "jane@example.com")
            let browser = DashboardBrowser(client: client)
            let callback = try await browser.signIn(email: "jane@example.com")
            #expect(callback.status == .forbidden)
            #expect(callback.text.contains("Gatehouse Operator"))
            #expect(client.cookies["gatehouse_dashboard"] == nil)
            #expect(try await browser.api(.get, "/actions/actions").status == .unauthorized)
        }
    }

    @Test("a dashboard token carries what the roles grant of the operator scopes, and losing the role ends the access")
    func narrowedByRoles() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await DashboardBrowser.makeOperator(fixtures)
            let roleID = try await DashboardBrowser.operatorRoleID(fixtures)
            // The operator role loses create:actions; another role of the user grants a scope the
            // dashboard never carries.
            let removed = try await client.json(
                .delete, "/api/v2/roles/\(roleID)/permissions",
                .object([
                    "permissions": .array([
                        .object(["resource_server_identifier": .string(Self.audience), "permission_name": "create:actions"])
                    ])
                ]), token: fixtures.token)
            #expect(removed.status == .noContent || removed.status == .ok, "\(removed.text)")
            let keys = try await client.json(.post, "/api/v2/roles", .object(["name": "Key keeper"]), token: fixtures.token)
            let keysID = try #require(keys.json["id"]?.stringValue)
            _ = try await client.json(
                .post, "/api/v2/roles/\(keysID)/permissions",
                .object([
                    "permissions": .array([
                        .object(["resource_server_identifier": .string(Self.audience), "permission_name": "read:signing_keys"])
                    ])
                ]), token: fixtures.token)
            _ = try await client.json(
                .post, "/api/v2/users/\(userID)/roles", .object(["roles": .array([.string(keysID)])]), token: fixtures.token)

            let browser = DashboardBrowser(client: client)
            #expect(try await browser.signIn(email: "ops@example.com").status == .found)
            let session = try #require(
                try await client.server.services.storage.read { repositories in
                    try await repositories.dashboardSessions.active(
                        secretHash: SecretComparison.digest(client.cookies["gatehouse_dashboard"] ?? ""), now: Timestamp.nowMillis())
                })
            let scope = Set(session.scope.split(separator: " ").map(String.init))
            #expect(scope.contains("read:actions"))
            #expect(!scope.contains("create:actions"))
            #expect(!scope.contains("read:signing_keys"))
            let csrf = try await browser.csrfToken()
            let create = try await browser.api(
                .post, "/actions/actions",
                .object([
                    "name": "x", "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
                    "code": "exports.onExecutePostLogin = async () => {};",
                ]), csrf: csrf)
            #expect(create.status == .forbidden)
            #expect(try await browser.api(.get, "/actions/actions").status == .ok)

            // Taking the role away closes the open session's access at once.
            _ = try await client.json(
                .delete, "/api/v2/users/\(userID)/roles", .object(["roles": .array([.string(roleID)])]), token: fixtures.token)
            #expect(try await browser.api(.get, "/actions/actions").status == .forbidden)
        }
    }

    @Test("first start creates the dashboard client and the operator role")
    func provisioning() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let clients = try await client.json(.get, "/api/v2/clients", token: fixtures.token)
            let dashboard = try #require(clients.json.arrayValue?.first { $0["name"] == "Gatehouse Dashboard" })
            #expect(dashboard["callbacks"] == .array([.string(TestServer.issuer + "dashboard/callback")]))
            #expect(dashboard["grant_types"] == .array(["authorization_code"]))
            let roleID = try await DashboardBrowser.operatorRoleID(fixtures)
            let permissions = try await client.json(.get, "/api/v2/roles/\(roleID)/permissions", token: fixtures.token)
            let names = Set(permissions.json.arrayValue?.compactMap { $0["permission_name"]?.stringValue } ?? [])
            #expect(names.contains("update:actions"))
            #expect(!names.contains("read:signing_keys"))
        }
    }
}
