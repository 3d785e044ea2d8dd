import Foundation
import GatehouseCore
import GatehouseIdentity
import Testing

@Suite("post-login: Actions decide real logins and shape their tokens") struct PostLoginTests {
    typealias Code = Fixtures.BoundCode
    static let api = "https://api.example/"

    /// A web app with client metadata, an API with offline access, Jane, and `actions` bound to post-login.
    static func setUp(_ client: TestClient, _ actions: [Code]) async throws -> (fixtures: Fixtures, app: Fixtures.App, userID: String) {
        let fixtures = try await Fixtures.make(client)
        try await fixtures.createAPI(extra: ["allow_offline_access": true])
        let app = try await fixtures.createApp()
        _ = try await client.json(
            .patch, "/api/v2/clients/\(app.id)", .object(["client_metadata": .object(["required_role": "editor"])]),
            token: fixtures.token)
        let userID = try await fixtures.createUser()
        try await fixtures.bind(actions, to: "post-login", version: "v3")
        return (fixtures, app, userID)
    }

    static func passwordRealm(_ app: Fixtures.App, scope: String = "openid offline_access") -> [String: String] {
        [
            "grant_type": "http://auth0.com/oauth/grant-type/password-realm", "realm": "Username-Password-Authentication",
            "client_id": app.id, "client_secret": app.secret ?? "", "username": "jane@example.com",
            "password": "correct-horse-battery", "scope": scope, "audience": api,
        ]
    }

    static func exchange(_ client: TestClient, _ app: Fixtures.App, code: String, verifier: String) async throws -> TestClient.Reply {
        try await client.form(
            "/oauth/token",
            [
                "grant_type": "authorization_code", "client_id": app.id, "client_secret": app.secret ?? "", "code": code,
                "redirect_uri": AuthorizationCodeFlowTests.callback, "code_verifier": verifier,
            ])
    }

    @Test("the hosted login runs the flow: the event is real, claims and scopes reach the tokens, metadata is written once")
    func hostedLogin() async throws {
        try await TestServer.run { client in
            let describe = """
                exports.onExecutePostLogin = async (event, api) => {
                  api.idToken.setCustomClaim('https://example.com/event', {
                    protocol: event.transaction.protocol, state: event.transaction.state, tx: typeof event.transaction.id,
                    response_type: event.transaction.response_type, scopes: event.transaction.requested_scopes,
                    logins: event.stats.logins_count, required: event.client.metadata.required_role,
                    strategy: event.connection.strategy, method: event.request.method, query_state: event.request.query.state,
                    body_keys: Object.keys(event.request.body).sort(), language: event.request.language,
                    auth: event.authentication.methods.map((m) => m.name), roles: event.authorization.roles,
                    api: event.resource_server?.identifier, session: event.session.id, identities: event.user.identities.length,
                    app_metadata: event.user.app_metadata,
                  });
                  api.user.setAppMetadata('plan', 'pro');
                  event.user.app_metadata.sneaky = true;
                };
                """
            let shape = """
                exports.onExecutePostLogin = async (event, api) => {
                  api.accessToken.setCustomClaim('https://example.com/plan', event.user.app_metadata.plan ?? 'none');
                  api.accessToken.setCustomClaim('https://example.com/sneaky', event.user.app_metadata.sneaky ?? 'unseen');
                  api.accessToken.setCustomClaim('sub', 'someone-else');
                  api.accessToken.setCustomClaim('https://tenant.auth0.com/owned', 1);
                  api.accessToken.setCustomClaim('https://auth0fans.example/kept', 1);
                  api.accessToken.addScope('write:things');
                  api.accessToken.removeScope('read:things');
                  api.user.setUserMetadata('theme', 'dark');
                };
                """
            let (fixtures, app, userID) = try await Self.setUp(
                client, [Code(name: "describe", code: describe), Code(name: "shape", code: shape)])
            let pkce = PKCEPair.make()
            let callback = try await AuthorizationCodeFlowTests.login(
                client, app: app, pkce: pkce, scope: "openid email read:things", extra: "&audience=https://api.example/")
            #expect(callback.redirectQuery["state"] == "xyz")
            let code = try #require(callback.redirectQuery["code"], "\(callback.location ?? callback.text)")
            let tokens = try await Self.exchange(client, app, code: code, verifier: pkce.verifier)
            #expect(tokens.status == .ok, "\(tokens.text)")
            let idToken = jwtClaims(try #require(tokens.json["id_token"]?.stringValue))
            let event = try #require(idToken["https://example.com/event"])
            #expect(event["protocol"] == "oidc-basic-profile")
            #expect(event["state"] == "xyz")
            #expect(event["tx"] == "string")
            #expect(event["response_type"] == .array(["code"]))
            #expect(event["scopes"] == .array(["openid", "email", "read:things"]))
            #expect(event["logins"] == .number(1))
            #expect(event["required"] == "editor")
            #expect(event["strategy"] == "auth0")
            #expect(event["method"] == "POST")
            #expect(event["query_state"] == "xyz")
            #expect(event["body_keys"] == .array(["state", "username"]))
            #expect(event["auth"] == .array(["pwd"]))
            #expect(event["roles"] == .array([]))
            #expect(event["api"] == .string(Self.api))
            #expect(event["session"] == idToken["sid"])
            #expect(event["identities"] == .number(1))
            #expect(event["app_metadata"] == .object([:]))

            let access = jwtClaims(try #require(tokens.json["access_token"]?.stringValue))
            #expect(access["https://example.com/plan"] == "pro")
            #expect(access["https://example.com/sneaky"] == "unseen")
            #expect(access["sub"]?.stringValue == userID)
            #expect(access["https://tenant.auth0.com/owned"] == nil)
            #expect(access["https://auth0fans.example/kept"] == .number(1))
            #expect(access["scope"] == "openid email write:things")
            #expect(tokens.json["scope"] == "openid email write:things")

            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["app_metadata"] == .object(["plan": "pro"]))
            #expect(user.json["user_metadata"] == .object(["theme": "dark"]))
            #expect(user.json["logins_count"] == .number(1))

            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            let success = try #require(logs.first { $0["type"] == "s" })
            let executionID = try #require(success["details"]?["actions"]?["executions"]?.arrayValue?.first?.stringValue)
            let execution = try await client.json(.get, "/api/v2/actions/executions/\(executionID)", token: fixtures.token)
            #expect(execution.json["trigger_id"] == "post-login")
            #expect(execution.json["results"]?.arrayValue?.compactMap { $0["action_name"]?.stringValue } == ["describe", "shape"])

            // SSO re-uses the session and runs the flow again, as a browser login without a password.
            let sso = try await client.request(
                .get,
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&state=again"
                    + "&scope=openid&code_challenge=\(pkce.challenge)&code_challenge_method=S256")
            let ssoCode = try #require(sso.redirectQuery["code"], "\(sso.location ?? sso.text)")
            let ssoTokens = try await Self.exchange(client, app, code: ssoCode, verifier: pkce.verifier)
            let ssoEvent = jwtClaims(try #require(ssoTokens.json["id_token"]?.stringValue))["https://example.com/event"]
            #expect(ssoEvent?["method"] == "GET")
            #expect(ssoEvent?["app_metadata"] == .object(["plan": "pro"]))
            #expect(ssoEvent?["logins"] == .number(1))
        }
    }

    @Test("deny: the browser goes back with access_denied and the state; the token endpoint answers 403; earlier metadata stays")
    func deny() async throws {
        try await TestServer.run { client in
            let defaults = """
                exports.onExecutePostLogin = async (event, api) => {
                  if (!event.user.app_metadata.roles) api.user.setAppMetadata('roles', ['viewer']);
                };
                """
            let gate = """
                exports.onExecutePostLogin = async (event, api) => {
                  const roles = event.user.app_metadata.roles || [];
                  if (!roles.includes(event.client.metadata.required_role)) api.access.deny(`Only ${event.client.metadata.required_role}s may use ${event.client.name}.`);
                };
                """
            let (fixtures, app, userID) = try await Self.setUp(
                client, [Code(name: "defaults", code: defaults), Code(name: "gate", code: gate)])
            let callback = try await AuthorizationCodeFlowTests.login(client, app: app)
            #expect(callback.location?.hasPrefix(AuthorizationCodeFlowTests.callback) == true)
            #expect(callback.redirectQuery["error"] == "access_denied")
            #expect(callback.redirectQuery["error_description"] == "Only editors may use Web App.")
            #expect(callback.redirectQuery["state"] == "xyz")
            #expect(callback.redirectQuery["code"] == nil)
            #expect(!callback.headers[values: .setCookie].contains { $0.hasPrefix("gatehouse_session=") && !$0.contains("Max-Age=0") })

            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["app_metadata"] == .object(["roles": .array(["viewer"])]))

            let password = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(password.status == .forbidden)
            #expect(password.json["error"] == "access_denied")
            #expect(password.json["error_description"] == "Only editors may use Web App.")

            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "f" && $0["details"]?["actions"]?["executions"] != nil })
            #expect(logs.contains { $0["type"] == "fepft" && $0["details"]?["actions"]?["executions"] != nil })
        }
    }

    @Test("refresh exchanges run the flow again with protocol oauth2-refresh-token, and may be denied")
    func refresh() async throws {
        try await TestServer.run { client in
            let code = """
                exports.onExecutePostLogin = async (event, api) => {
                  if (event.transaction.protocol === 'oauth2-refresh-token' && event.request.body.scope === 'openid') {
                    api.access.deny('Narrowed refreshes are not allowed.');
                  }
                  api.idToken.setCustomClaim('https://example.com/protocol', event.transaction.protocol);
                  api.accessToken.setCustomClaim('https://example.com/rt', typeof event.refresh_token?.id);
                  api.idToken.setCustomClaim('https://example.com/cached', api.cache.get('last-protocol')?.value ?? null);
                  api.cache.set('last-protocol', event.transaction.protocol);
                };
                """
            let (_, app, _) = try await Self.setUp(client, [Code(name: "protocol", code: code)])
            let login = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(login.status == .ok, "\(login.text)")
            #expect(jwtClaims(try #require(login.json["id_token"]?.stringValue))["https://example.com/protocol"] == "oauth2-password")
            let refreshToken = try #require(login.json["refresh_token"]?.stringValue)
            let refreshed = try await client.form(
                "/oauth/token",
                ["grant_type": "refresh_token", "client_id": app.id, "client_secret": app.secret ?? "", "refresh_token": refreshToken])
            #expect(refreshed.status == .ok, "\(refreshed.text)")
            let idToken = jwtClaims(try #require(refreshed.json["id_token"]?.stringValue))
            #expect(idToken["https://example.com/protocol"] == "oauth2-refresh-token")
            // The cache entry written by the password login was persisted and read back.
            #expect(idToken["https://example.com/cached"] == "oauth2-password")
            #expect(jwtClaims(try #require(refreshed.json["access_token"]?.stringValue))["https://example.com/rt"] == "string")

            let next = try #require(refreshed.json["refresh_token"]?.stringValue)
            let narrowed = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "refresh_token", "client_id": app.id, "client_secret": app.secret ?? "", "refresh_token": next,
                    "scope": "openid",
                ])
            #expect(narrowed.status == .forbidden)
            #expect(narrowed.json["error_description"] == "Narrowed refreshes are not allowed.")
        }
    }

    @Test("a throwing action fails the login closed; a fail-open binding lets it through without the failed action's commands")
    func failures() async throws {
        try await TestServer.run { client in
            let flaky = """
                exports.onExecutePostLogin = async (event, api) => {
                  api.idToken.setCustomClaim('https://example.com/flaky', true);
                  throw new Error('profile service unavailable');
                };
                """
            let after =
                "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/after', true); };"
            let (fixtures, app, _) = try await Self.setUp(client, [Code(name: "flaky", code: flaky), Code(name: "after", code: after)])
            let callback = try await AuthorizationCodeFlowTests.login(client, app: app)
            #expect(callback.redirectQuery["error"] == "access_denied")
            #expect(callback.redirectQuery["error_description"]?.contains("'flaky' failed") == true)
            let password = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(password.status == .forbidden)
            #expect(password.json["error"] == "access_denied")
            #expect(password.json["error_description"]?.stringValue?.contains("'flaky' failed") == true)

            var logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            let failure = try #require(logs.first { $0["type"] == "actions_execution_failed" })
            #expect(failure["details"]?["action_name"] == "flaky")
            #expect(failure["details"]?["error_class"] == "action_error")
            #expect(failure["details"]?["action_error"]?["message"] == "profile service unavailable")
            let executionID = try #require(failure["details"]?["execution_id"]?.stringValue)
            let execution = try await client.json(.get, "/api/v2/actions/executions/\(executionID)", token: fixtures.token)
            #expect(execution.json["results"]?.arrayValue?.first?["error"]?["msg"] == "profile service unavailable")

            let failOpen: JSONValue = .object([
                "bindings": .array([
                    .object(["ref": .object(["type": "action_name", "value": "flaky"]), "fail_open": true]),
                    .object(["ref": .object(["type": "action_name", "value": "after"])]),
                ])
            ])
            #expect(
                try await client.json(.patch, "/api/v2/actions/triggers/post-login/bindings", failOpen, token: fixtures.token).status
                    == .ok)
            let bindings = try await client.json(.get, "/api/v2/actions/triggers/post-login/bindings", token: fixtures.token)
            #expect(bindings.json["bindings"]?.arrayValue?.map { $0["fail_open"] } == [.bool(true), .bool(false)])
            let open = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(open.status == .ok, "\(open.text)")
            let claims = jwtClaims(try #require(open.json["id_token"]?.stringValue))
            #expect(claims["https://example.com/after"] == true)
            #expect(claims["https://example.com/flaky"] == nil)
            logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.filter { $0["type"] == "actions_execution_failed" }.count == 3)

            // When a later action fails closed, the error names that action, not the fail-open one.
            let broken: JSONValue = .object([
                "bindings": .array([
                    .object(["ref": .object(["type": "action_name", "value": "flaky"]), "fail_open": true]),
                    .object(["ref": .object(["type": "action_name", "value": "flaky-too"])]),
                ])
            ])
            try await fixtures.bind([Code(name: "flaky-too", code: flaky)], to: "post-login", version: "v3")
            #expect(
                try await client.json(.patch, "/api/v2/actions/triggers/post-login/bindings", broken, token: fixtures.token).status == .ok)
            let closed = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(closed.status == .forbidden)
            #expect(closed.json["error_description"]?.stringValue?.contains("'flaky-too' failed") == true)
        }
    }

    @Test("redirects and MFA are not offered yet: an action that asks for them fails the login closed, saying so")
    func unsupported() async throws {
        try await TestServer.run { client in
            let (_, app, _) = try await Self.setUp(
                client,
                [
                    Code(name: "first", code: "exports.onExecutePostLogin = async () => {};"),
                    Code(
                        name: "idv",
                        code:
                            "exports.onExecutePostLogin = async (event, api) => { api.redirect.sendUserTo('https://idv.example/start'); };"),
                ])
            let redirect = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(redirect.status == .forbidden)
            #expect(redirect.json["error"] == "access_denied")
            let description = redirect.json["error_description"]?.stringValue ?? ""
            #expect(description.contains("'idv' called api.redirect.sendUserTo"), "\(description)")
        }
    }

    @Test("an action that outlives the flow's time budget fails the login with action_timeout")
    func timeout() async throws {
        var configuration = TestServer.configuration()
        configuration.actionsTimeoutMillis = 300
        try await TestServer.run(configuration) { client in
            let (fixtures, app, _) = try await Self.setUp(
                client, [Code(name: "slow", code: "exports.onExecutePostLogin = async () => { await new Promise(() => {}); };")])
            let password = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(password.status == .forbidden)
            #expect(password.json["error_description"]?.stringValue?.contains("'slow' failed") == true)
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.first { $0["type"] == "actions_execution_failed" }?["details"]?["error_class"] == "action_timeout")
        }
    }

    @Test("with a GeoIP database configured, event.request.geoip locates the request's address")
    func geoip() async throws {
        let file = try MaxMindWriter.loopbackInParis()
        defer { try? FileManager.default.removeItem(at: file) }
        var configuration = TestServer.configuration()
        configuration.geoipDatabase = file.path
        try await TestServer.run(configuration) { client in
            let (_, app, _) = try await Self.setUp(
                client,
                [
                    Code(
                        name: "where",
                        code:
                            "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://example.com/geoip', event.request.geoip ?? null); };"
                    )
                ])
            let login = try await client.form("/oauth/token", Self.passwordRealm(app))
            #expect(login.status == .ok, "\(login.text)")
            let geoip = jwtClaims(try #require(login.json["id_token"]?.stringValue))["https://example.com/geoip"]
            #expect(geoip?["countryCode"] == "FR")
            #expect(geoip?["cityName"] == "Paris")
            #expect(geoip?["latitude"] == .number(48.8566))
        }
    }
}
