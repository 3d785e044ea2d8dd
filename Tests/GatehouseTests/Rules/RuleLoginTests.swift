import Foundation
import GatehouseCore
import Testing

/// Legacy rules through real logins: created with the Management API, run unmodified before the
/// post-login actions (`auth0-actions.md` §4.1, §6). The rules are the realistic ones of
/// `Tests/Fixtures/rules/`.
@Suite("Rules: legacy rules run before the post-login actions of real logins") struct RuleLoginTests {
    /// The script of `Tests/Fixtures/rules/<name>.js`.
    static func script(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/rules/\(name).js")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Creates the rules (in order), sets `configuration` (with `RULES_CLIENTS` = the app).
    static func setUp(
        _ client: TestClient, rules: [(name: String, script: String)], configuration: [String: String] = [:],
        actions: [Fixtures.BoundCode] = [], appMetadata: [String: JSONValue] = [:]
    ) async throws -> (fixtures: Fixtures, app: Fixtures.App, userID: String) {
        let fixtures = try await Fixtures.make(client)
        try await fixtures.createAPI(extra: ["allow_offline_access": true])
        let app = try await fixtures.createApp()
        if !appMetadata.isEmpty {
            _ = try await client.json(
                .patch, "/api/v2/clients/\(app.id)", .object(["client_metadata": .object(appMetadata)]), token: fixtures.token)
        }
        let userID = try await fixtures.createUser()
        for (key, value) in configuration.merging(["RULES_CLIENTS": app.id], uniquingKeysWith: { $1 }) {
            let reply = try await client.json(
                .put, "/api/v2/rules-configs/\(key)", .object(["value": .string(value)]), token: fixtures.token)
            guard reply.status == .ok else { throw TestFailure("cannot set \(key): \(reply.text)") }
        }
        for rule in rules {
            let reply = try await client.json(
                .post, "/api/v2/rules", .object(["name": .string(rule.name), "script": .string(rule.script)]), token: fixtures.token)
            guard reply.status == .created else { throw TestFailure("cannot create rule \(rule.name): \(reply.text)") }
        }
        if !actions.isEmpty { try await fixtures.bind(actions, to: "post-login", version: "v3") }
        return (fixtures, app, userID)
    }

    static func login(_ client: TestClient, _ app: Fixtures.App) async throws -> TestClient.Reply {
        try await client.form("/oauth/token", PostLoginTests.passwordRealm(app, scope: "openid email offline_access"))
    }

    static func rule(_ name: String) throws -> (name: String, script: String) { (name, try script(name)) }

    @Test("the chain shares user and context: a default role one rule sets reaches the next rule's claims, and is not saved")
    func sharedChain() async throws {
        try await TestServer.run { client in
            let reader = Fixtures.BoundCode(
                name: "reader",
                code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://gatehouse.example/action_saw', event.user.app_metadata.roles ?? null);
                    };
                    """)
            let (fixtures, app, userID) = try await Self.setUp(
                client, rules: [try Self.rule("default-role"), try Self.rule("roles-to-tokens")], actions: [reader])
            let reply = try await Self.login(client, app)
            #expect(reply.status == .ok, "\(reply.text)")
            let id = jwtClaims(try #require(reply.json["id_token"]?.stringValue))
            #expect(id["https://gatehouse.example/roles"] == .array(["reader"]))
            #expect(id["https://gatehouse.example/logins"] == .number(1))
            #expect(id["https://gatehouse.example/action_saw"] == .null, "a rule's change to user never reaches the actions")
            let access = jwtClaims(try #require(reply.json["access_token"]?.stringValue))
            #expect(access["https://gatehouse.example/roles"] == .array(["reader"]))
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["app_metadata"] == .object([:]) || user.json["app_metadata"] == nil)
        }
    }

    @Test("assigned roles (context.authorization.roles) and user_metadata become namespaced claims")
    func rolesToTokens() async throws {
        try await TestServer.run { client in
            let (fixtures, app, userID) = try await Self.setUp(client, rules: [try Self.rule("roles-to-tokens")])
            let role = try await client.json(.post, "/api/v2/roles", .object(["name": "editor"]), token: fixtures.token)
            let roleID = try #require(role.json["id"]?.stringValue)
            _ = try await client.json(
                .post, "/api/v2/users/\(userID)/roles", .object(["roles": .array([.string(roleID)])]), token: fixtures.token)
            _ = try await client.json(
                .patch, "/api/v2/users/\(userID)", .object(["user_metadata": .object(["preferred_language": "fr"])]),
                token: fixtures.token)
            let reply = try await Self.login(client, app)
            let id = jwtClaims(try #require(reply.json["id_token"]?.stringValue))
            #expect(id["https://gatehouse.example/roles"] == .array(["editor"]))
            #expect(id["https://gatehouse.example/language"] == "fr")
        }
    }

    @Test("an e-mail domain allow-list from configuration: UnauthorizedError refuses with access_denied and its message")
    func domainAllowList() async throws {
        try await TestServer.run { client in
            let (fixtures, app, userID) = try await Self.setUp(
                client, rules: [try Self.rule("email-domain-allowlist")], configuration: ["ALLOWED_DOMAINS": "example.org, corp.example"])
            let unverified = try await Self.login(client, app)
            #expect(unverified.status == .forbidden)
            #expect(unverified.json["error"] == "access_denied")
            #expect(unverified.json["error_description"] == "Access denied: verify your e-mail address first.")
            _ = try await client.json(.patch, "/api/v2/users/\(userID)", .object(["email_verified": true]), token: fixtures.token)
            let wrongDomain = try await Self.login(client, app)
            #expect(wrongDomain.json["error_description"] == "Access denied: example.com is not an allowed domain.")
            _ = try await client.json(
                .put, "/api/v2/rules-configs/ALLOWED_DOMAINS", .object(["value": "example.com"]), token: fixtures.token)
            #expect(try await Self.login(client, app).status == .ok)
        }
    }

    @Test("auth0.users.getUsersByEmail: one account per e-mail; a second account with the address refuses the login")
    func duplicateEmail() async throws {
        try await TestServer.run { client in
            let (fixtures, app, _) = try await Self.setUp(client, rules: [try Self.rule("deny-duplicate-email")])
            let alone = try await Self.login(client, app)
            #expect(alone.status == .ok, "\(alone.text)")
            let id = jwtClaims(try #require(alone.json["id_token"]?.stringValue))
            #expect(id["https://gatehouse.example/accounts_with_email"] == .number(1))

            // The same address in another database connection.
            let connection = try await client.json(
                .post, "/api/v2/connections", .object(["name": "partners", "strategy": "auth0"]), token: fixtures.token)
            #expect(connection.status == .created, "\(connection.text)")
            let other = try await client.json(
                .post, "/api/v2/users",
                .object(["connection": "partners", "email": "JANE@example.com", "password": "another-horse-battery"]),
                token: fixtures.token)
            #expect(other.status == .created, "\(other.text)")
            let refused = try await Self.login(client, app)
            #expect(refused.status == .forbidden, "\(refused.text)")
            #expect(refused.json["error"] == "access_denied")
            #expect(refused.json["error_description"] == "Another account already uses jane@example.com.")
        }
    }

    @Test("context.multifactor when the application asks for it: the token endpoint answers mfa_required")
    func multifactorByCondition() async throws {
        try await TestServer.run { client in
            let (fixtures, app, _) = try await Self.setUp(
                client, rules: [try Self.rule("mfa-by-condition")], appMetadata: ["require_mfa": "true"])
            _ = try await client.json(.put, "/api/v2/guardian/factors/otp", .object(["enabled": true]), token: fixtures.token)
            let reply = try await Self.login(client, app)
            #expect(reply.status == .forbidden, "\(reply.text)")
            #expect(reply.json["error"] == "mfa_required")
            #expect(reply.json["mfa_token"]?.stringValue?.isEmpty == false)
            _ = try await client.json(
                .patch, "/api/v2/clients/\(app.id)", .object(["client_metadata": .object(["require_mfa": "false"])]),
                token: fixtures.token)
            #expect(try await Self.login(client, app).status == .ok)
        }
    }

    @Test("context.redirect with a signed token: the browser leaves; on /continue every rule runs again as redirect-callback")
    func consentRedirect() async throws {
        try await TestServer.run { client in
            let consentURL = "https://consent.example/terms"
            let secret = "consent-signing-secret"
            let after = Fixtures.BoundCode(
                name: "after-rules",
                code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://gatehouse.example/after', event.user.user_metadata.consent_given === true);
                    };
                    """)
            let (fixtures, app, userID) = try await Self.setUp(
                client, rules: [try Self.rule("track-logins"), try Self.rule("consent-redirect")],
                configuration: ["CONSENT_URL": consentURL, "CONSENT_SECRET": secret], actions: [after])
            let pkce = PKCEPair.make()
            let away = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid email")
            #expect(away.status == .found)
            #expect(away.location?.hasPrefix(consentURL + "?nonce=") == true, "\(away.location ?? away.text)")
            let query = away.redirectQuery
            let state = try #require(query["state"])
            let nonce = try #require(query["nonce"])
            let signature = try #require(query["signature"])

            let refused = try await client.form(
                "/continue", ["state": state, "nonce": nonce, "signature": signature, "confirm": "no"])
            #expect(refused.redirectQuery["error"] == "access_denied")
            #expect(refused.redirectQuery["error_description"] == "You must accept the terms to continue.")

            let again = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid email")
            let state2 = try #require(again.redirectQuery["state"])
            let back = try await client.form(
                "/continue",
                [
                    "state": state2, "nonce": try #require(again.redirectQuery["nonce"]),
                    "signature": try #require(again.redirectQuery["signature"]), "confirm": "yes",
                ])
            #expect(back.location?.hasPrefix(AuthorizationCodeFlowTests.callback) == true, "\(back.location ?? back.text)")
            let code = try #require(back.redirectQuery["code"])
            let tokens = try await PostLoginTests.exchange(client, app, code: code, verifier: pkce.verifier)
            let claims = jwtClaims(try #require(tokens.json["id_token"]?.stringValue))
            #expect(claims["https://gatehouse.example/consent"] == true)
            #expect(claims["https://gatehouse.example/after"] == true, "the action after the rules sees the persisted consent")
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["user_metadata"]?["consent_given"] == true)
            // track-logins ran before each redirect and again on each way back (Auth0 re-ran every rule).
            #expect(user.json["app_metadata"]?["rule_logins"] == .number(4))

            // Consent given: the next login goes straight through.
            let third = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid email")
            #expect(third.location?.hasPrefix(AuthorizationCodeFlowTests.callback) == true, "\(third.location ?? third.text)")
        }
    }

    @Test("a rule's redirect where the browser cannot leave (password grant) refuses the login, naming the rule")
    func redirectWithoutBrowser() async throws {
        try await TestServer.run { client in
            let (_, app, _) = try await Self.setUp(
                client, rules: [try Self.rule("consent-redirect")],
                configuration: ["CONSENT_URL": "https://consent.example/terms", "CONSENT_SECRET": "s3cr3t-value"])
            let reply = try await Self.login(client, app)
            #expect(reply.status == .forbidden)
            #expect(reply.json["error_description"]?.stringValue?.contains("The rule 'consent-redirect' set context.redirect") == true)
        }
    }

    @Test("account linking check and IP allow-list read user.identities, email_verified and context.request.ip")
    func linkingAndIP() async throws {
        try await TestServer.run { client in
            let (fixtures, app, _) = try await Self.setUp(
                client, rules: [try Self.rule("account-linking-check"), try Self.rule("ip-allowlist")],
                configuration: ["ALLOWED_IPS": "203.0.113.9", "BLOCKED_COUNTRIES": "KP"])
            let refused = try await Self.login(client, app)
            #expect(refused.status == .forbidden)
            #expect(refused.json["error_description"]?.stringValue?.hasPrefix("Access denied from IP address ") == true)
            _ = try await client.json(.delete, "/api/v2/rules-configs/ALLOWED_IPS", token: fixtures.token)
            let reply = try await Self.login(client, app)
            #expect(reply.status == .ok, "\(reply.text)")
            let id = jwtClaims(try #require(reply.json["id_token"]?.stringValue))
            #expect(id["https://gatehouse.example/linked"] == false)
            #expect(id["https://gatehouse.example/primary_connection"] == "Username-Password-Authentication")
            #expect(id["https://gatehouse.example/country"] == "unknown")
        }
    }

    @Test("auth0.users.updateAppMetadata persists; the action after sees it and api.rules.wasExecuted; global counts per worker")
    func persistedMetadataAndGlobal() async throws {
        try await TestServer.run { client in
            let (fixtures, app, userID) = try await Self.setUp(client, rules: [try Self.rule("track-logins")])
            let ruleID = try #require(
                try await client.json(.get, "/api/v2/rules", token: fixtures.token).json.arrayValue?.first?["id"]?.stringValue)
            let reader = Fixtures.BoundCode(
                name: "reader",
                code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://gatehouse.example/seen', {
                        logins: event.user.app_metadata.rule_logins, ran: api.rules.wasExecuted('\(ruleID)'),
                        other: api.rules.wasExecuted('rul_unknown') });
                    };
                    """)
            try await fixtures.bind([reader], to: "post-login", version: "v3")
            let first = jwtClaims(try #require(try await Self.login(client, app).json["id_token"]?.stringValue))
            #expect(first["https://gatehouse.example/seen"] == .object(["logins": 1, "ran": true, "other": false]))
            let second = jwtClaims(try #require(try await Self.login(client, app).json["id_token"]?.stringValue))
            #expect(second["https://gatehouse.example/seen"]?["logins"] == .number(2))
            let runs = [first, second].compactMap { $0["https://gatehouse.example/worker_runs"]?.numberValue }
            #expect(runs.count == 2 && runs[1] == runs[0] + 1, "one worker: global survives between logins")
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["app_metadata"]?["rule_logins"] == .number(2))
        }
    }

    @Test("a failing rule fails the login naming it; the execution records the rules; configuration values never reach logs")
    func failureAndRecords() async throws {
        try await TestServer.run { client in
            let leaky = """
                function (user, context, callback) {
                  console.log('calling the API with ' + configuration.API_KEY);
                  callback(new Error('upstream refused key ' + configuration.API_KEY));
                }
                """
            let (fixtures, app, _) = try await Self.setUp(
                client, rules: [try Self.rule("default-role"), ("leaky", leaky)], configuration: ["API_KEY": "sk_live_0123456789"])
            let reply = try await Self.login(client, app)
            #expect(reply.status == .forbidden)
            #expect(reply.json["error"] == "access_denied")
            let description = try #require(reply.json["error_description"]?.stringValue)
            #expect(description.hasPrefix("The rule 'leaky' failed: upstream refused key [redacted]"), "\(description)")
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token)
            #expect(!logs.text.contains("sk_live_0123456789"))
            let failed = try #require(logs.json.arrayValue?.first { $0["type"] == "actions_execution_failed" })
            #expect(failed["details"]?["rule_name"] == "leaky")
            let executionID = try #require(failed["details"]?["execution_id"]?.stringValue)
            let execution = try await client.json(.get, "/api/v2/actions/executions/\(executionID)", token: fixtures.token)
            #expect(execution.json["results"]?.arrayValue?.compactMap { $0["action_name"]?.stringValue } == ["default-role", "leaky"])
            #expect(!execution.text.contains("sk_live_0123456789"))
            #expect(execution.text.contains("calling the API with [redacted]"))
        }
    }

    @Test("a rule that never calls back times out within the flow's budget and fails the login")
    func timeout() async throws {
        var configuration = TestServer.configuration()
        configuration.actionsTimeoutMillis = 300
        try await TestServer.run(configuration) { client in
            let (_, app, _) = try await Self.setUp(
                client, rules: [("silent", "function (user, context, callback) { /* forgot the callback */ }")])
            let reply = try await Self.login(client, app)
            #expect(reply.status == .forbidden)
            #expect(reply.json["error_description"]?.stringValue?.contains("The rule 'silent' failed") == true)
            #expect(reply.json["error_description"]?.stringValue?.contains("time budget of 300 ms") == true)
        }
    }

    @Test("disabled rules do not run; re-enabling one takes effect at the next login")
    func disabled() async throws {
        try await TestServer.run { client in
            let (fixtures, app, _) = try await Self.setUp(client, rules: [try Self.rule("email-domain-allowlist")])
            let ruleID = try #require(
                try await client.json(.get, "/api/v2/rules", token: fixtures.token).json.arrayValue?.first?["id"]?.stringValue)
            _ = try await client.json(.patch, "/api/v2/rules/\(ruleID)", .object(["enabled": false]), token: fixtures.token)
            #expect(try await Self.login(client, app).status == .ok)
            _ = try await client.json(.patch, "/api/v2/rules/\(ruleID)", .object(["enabled": true]), token: fixtures.token)
            #expect(try await Self.login(client, app).status == .forbidden)
        }
    }
}
