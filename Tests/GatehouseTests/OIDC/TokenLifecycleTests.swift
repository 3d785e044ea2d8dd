import Foundation
import GatehouseCore
import GatehouseHTTP
import GatehouseIdentity
import GatehouseStorage
import SQLKit
import Testing

/// What happens to codes, refresh tokens and sessions after they are issued: a replayed code
/// revokes what it issued, revocation (RFC 7009 and the Management API), and the purge of what
/// has expired (`docs/SECURITY.md`).
@Suite("Token lifecycle: code replay, revocation, sessions in the Management API, purge") struct TokenLifecycleTests {
    struct Login {
        let app: Fixtures.App
        let userID: String
        let tokens: TestClient.Reply
        var refreshToken: String { tokens.json["refresh_token"]?.stringValue ?? "" }
        var sessionID: String { jwtClaims(tokens.json["id_token"]?.stringValue ?? "")["sid"]?.stringValue ?? "" }
    }

    /// A browser login with the code exchanged: the code, its exchange's fields, the tokens.
    static func login(_ client: TestClient, fixtures: Fixtures) async throws -> (Login, [String: String]) {
        let app = try await fixtures.createApp()
        let existing = try await client.json(.get, "/api/v2/users-by-email?email=jane@example.com", token: fixtures.token)
        let known = existing.json.arrayValue?.first?["user_id"]?.stringValue
        let userID: String
        if let known { userID = known } else { userID = try await fixtures.createUser() }
        let pkce = PKCEPair.make()
        // With a live SSO session this is answered at /authorize, without the login page.
        let callback = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce)
        let exchange = [
            "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "",
            "code": callback.redirectQuery["code"] ?? "", "redirect_uri": AuthorizationCodeFlowTests.callback,
            "code_verifier": pkce.verifier,
        ]
        let tokens = try await client.form("/oauth/token", exchange)
        #expect(tokens.status == .ok, "\(tokens.text)")
        return (Login(app: app, userID: userID, tokens: tokens), exchange)
    }

    static func refresh(_ client: TestClient, _ login: Login, token: String? = nil) async throws -> TestClient.Reply {
        try await client.form(
            "/oauth/token",
            [
                "grant_type": "refresh_token", "client_id": login.app.id, "client_secret": login.app.secret ?? "",
                "refresh_token": token ?? login.refreshToken,
            ])
    }

    @Test("a replayed authorization code is refused and revokes the refresh tokens its exchange issued (RFC 6749 §4.1.2)")
    func codeReplayRevokes() async throws {
        try await TestServer.run { client in
            let (login, exchange) = try await Self.login(client, fixtures: try await Fixtures.make(client))
            let rotated = try await Self.refresh(client, login)
            #expect(rotated.status == .ok)
            let replay = try await client.form("/oauth/token", exchange)
            #expect(replay.json["error"] == "invalid_grant")
            let newest = try #require(rotated.json["refresh_token"]?.stringValue)
            #expect(try await Self.refresh(client, login, token: newest).json["error"] == "invalid_grant")
        }
    }

    @Test("redirect_uri is required at the token endpoint when it was sent to /authorize (RFC 6749 §4.1.3)")
    func redirectURIRequired() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.createUser()
            let pkce = PKCEPair.make()
            let callback = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce)
            let code = try #require(callback.redirectQuery["code"])
            let missing = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "", "code": code,
                    "code_verifier": pkce.verifier,
                ])
            #expect(missing.status == .badRequest, "\(missing.text)")
            #expect(missing.json["error"] == "invalid_request")

            // Without redirect_uri at /authorize (the client's only callback is used), none is needed.
            let second = PKCEPair.make()
            let authorize = try await client.request(
                .get,
                "/authorize?response_type=code&client_id=\(app.id)&scope=openid&state=s&code_challenge=\(second.challenge)"
                    + "&code_challenge_method=S256")
            #expect(authorize.status == .found, "\(authorize.text)")
            let code2 = try #require(authorize.redirectQuery["code"], "SSO: \(authorize.location ?? "")")
            let fine = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "", "code": code2,
                    "code_verifier": second.verifier,
                ])
            #expect(fine.status == .ok, "\(fine.text)")
        }
    }

    @Test("POST /oauth/revoke revokes a refresh token and its family; another client's is refused; unknown tokens are fine")
    func revocationEndpoint() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let (login, _) = try await Self.login(client, fixtures: fixtures)
            let discovery = try await client.request(.get, "/.well-known/openid-configuration")
            #expect(discovery.json["revocation_endpoint"] == .string(TestServer.issuer + "oauth/revoke"))

            let other = try await fixtures.createApp(name: "Other")
            let stolen = try await client.form(
                "/oauth/revoke", ["client_id": other.id, "client_secret": other.secret ?? "", "token": login.refreshToken])
            #expect(stolen.status == .badRequest)
            #expect(try await Self.refresh(client, login).status == .ok, "another client's revocation changed nothing")

            let (fresh, _) = try await Self.login(client, fixtures: fixtures)
            let unknown = try await client.form(
                "/oauth/revoke", ["client_id": fresh.app.id, "client_secret": fresh.app.secret ?? "", "token": "no-such-token"])
            #expect(unknown.status == .ok)
            let revoked = try await client.form(
                "/oauth/revoke",
                [
                    "client_id": fresh.app.id, "client_secret": fresh.app.secret ?? "", "token": fresh.refreshToken,
                    "token_type_hint": "refresh_token",
                ])
            #expect(revoked.status == .ok, "\(revoked.text)")
            #expect(try await Self.refresh(client, fresh).json["error"] == "invalid_grant")
            let wrongSecret = try await client.form(
                "/oauth/revoke", ["client_id": fresh.app.id, "client_secret": "wrong", "token": fresh.refreshToken])
            #expect(wrongSecret.status == .unauthorized)
            #expect(try await client.request(.get, "/oauth/revoke").status == .methodNotAllowed)
        }
    }

    @Test("the Management API lists a user's sessions and refresh tokens and ends them")
    func managementSessions() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let (login, _) = try await Self.login(client, fixtures: fixtures)
            let sessions = try await client.json(.get, "/api/v2/users/\(login.userID)/sessions", token: fixtures.token)
            #expect(sessions.status == .ok, "\(sessions.text)")
            let listed = sessions.json["sessions"]?.arrayValue ?? []
            #expect(listed.map { $0["id"]?.stringValue } == [login.sessionID])
            #expect(listed.first?["clients"]?.arrayValue?.first?["client_id"] == .string(login.app.id))

            let tokens = try await client.json(.get, "/api/v2/users/\(login.userID)/refresh-tokens", token: fixtures.token)
            let tokenList = tokens.json["tokens"]?.arrayValue ?? []
            #expect(tokenList.count == 1)
            #expect(tokenList.first?["session_id"] == .string(login.sessionID))
            #expect(tokenList.first?["rotating"] == true)
            #expect(tokens.text.contains(login.refreshToken) == false, "the token itself is never shown")

            // Ending the session ends SSO and revokes the refresh token issued in it.
            let end = try await client.json(.delete, "/api/v2/sessions/\(login.sessionID)", token: fixtures.token)
            #expect(end.status == .accepted)
            #expect(try await client.json(.get, "/api/v2/sessions/\(login.sessionID)", token: fixtures.token).status == .notFound)
            #expect(try await Self.refresh(client, login).json["error"] == "invalid_grant")
            let again = try await client.request(
                .get,
                "/authorize?response_type=code&client_id=\(login.app.id)&scope=openid&state=s"
                    + "&code_challenge=\(PKCEPair.make().challenge)&code_challenge_method=S256")
            #expect(again.location?.hasPrefix("/u/login") == true, "no SSO after the session was ended")

            let (second, _) = try await Self.login(client, fixtures: fixtures)
            let tokenID = try #require(
                try await client.json(.get, "/api/v2/users/\(second.userID)/refresh-tokens", token: fixtures.token)
                    .json["tokens"]?.arrayValue?.first?["id"]?.stringValue)
            #expect(try await client.json(.delete, "/api/v2/refresh-tokens/\(tokenID)", token: fixtures.token).status == .accepted)
            #expect(try await Self.refresh(client, second).json["error"] == "invalid_grant")
            #expect(try await client.json(.get, "/api/v2/refresh-tokens/\(tokenID)", token: fixtures.token).status == .notFound)
            #expect(
                try await client.json(.delete, "/api/v2/users/\(second.userID)/sessions", token: fixtures.token).status == .accepted)
            #expect(
                try await client.json(.get, "/api/v2/users/\(second.userID)/sessions", token: fixtures.token)
                    .json["sessions"]?.arrayValue?.isEmpty == true)
            #expect(try await client.json(.get, "/api/v2/users/nobody/sessions", token: fixtures.token).status == .notFound)
        }
    }

    static func count(_ server: GatehouseServer, _ table: String) async throws -> Int {
        try await server.database.read { db in
            try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table).first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }

    @Test("expired login transactions, codes, sessions and refresh tokens are purged")
    func purge() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            _ = try await Self.login(client, fixtures: fixtures)
            let pending = try await client.request(
                .get, AuthorizeLimitsTests.authorize(try await fixtures.createApp(name: "Pending"), extra: "&prompt=login"))
            #expect(pending.location?.hasPrefix("/u/login") == true)
            let server = client.server
            for table in ["login_transactions", "authorization_codes", "sessions", "refresh_tokens"] {
                #expect(try await Self.count(server, table) > 0, "\(table) has a row to purge")
            }
            // Nothing has expired yet: a purge now keeps everything.
            try await server.purger.purge()
            #expect(try await Self.count(server, "sessions") == 1)
            // Two years on, everything has.
            try await server.purger.purge(now: Timestamp.nowMillis() + 2 * 365 * 86_400_000)
            for table in ["login_transactions", "authorization_codes", "sessions", "refresh_tokens"] {
                #expect(try await Self.count(server, table) == 0, "\(table) was purged")
            }
        }
    }

    @Test("an existing tenant's Management API and full-access grants gain the scopes of newer versions at start")
    func newScopesForExistingTenants() async throws {
        let directory = try DependencyInstallTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = TestServer.configuration(database: "sqlite://\(directory.path)/gatehouse.sqlite")
        let audience = TestServer.issuer + "api/v2/"
        try await TestServer.run(configuration) { client in
            // As a tenant made before sessions could be managed.
            try await client.server.services.storage.transaction { repositories in
                var api = try #require(try await repositories.resourceServers.get(idOrIdentifier: audience))
                api.scopes.removeAll { $0.value.hasSuffix(":sessions") }
                try await repositories.resourceServers.update(api)
                for var grant in try await repositories.clientGrants.list(clientID: nil, audience: audience, PageRequest()).items {
                    grant.scope.removeAll { $0.hasSuffix(":sessions") }
                    try await repositories.clientGrants.update(grant)
                }
            }
            let token = try await client.managementToken()
            #expect(jwtClaims(token)["scope"]?.stringValue?.contains("read:sessions") == false)
        }
        try await TestServer.run(configuration) { client in
            let token = try await client.managementToken()
            #expect(jwtClaims(token)["scope"]?.stringValue?.contains("read:sessions") == true)
        }
    }
}
