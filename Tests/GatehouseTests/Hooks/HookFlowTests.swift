import Foundation
import GatehouseCore
import Testing

@testable import GatehouseIdentity

/// Legacy Hooks run before each trigger's actions (`auth0-actions.md` §4.1, §6.4), through the
/// real doors: the token endpoint, the sign-up doors, a password change, an MFA SMS.
@Suite("Legacy hooks run before the trigger's actions") struct HookFlowTests {
    static let m2mHook = """
        module.exports = function (client, scope, audience, context, cb) {
          console.log('api key', context.webtask.secrets.API_KEY);
          if (client.metadata.tier === 'blocked') return cb(new InvalidScopeError('This client may not have tokens.'));
          if (client.metadata.tier === 'broken') return cb(new Error('billing lookup failed'));
          var access_token = {};
          access_token.scope = scope;
          access_token.scope.push('extra:audit');
          access_token['https://example.com/tier'] = client.metadata.tier;
          access_token['https://example.com/audience'] = audience;
          cb(null, access_token);
        };
        """

    /// An API, an M2M client (`tier` in its metadata) with a grant, and the hook enabled.
    static func m2m(_ client: TestClient, tier: String, actions: [Fixtures.BoundCode] = []) async throws -> (Fixtures, [String: String]) {
        let fixtures = try await Fixtures.make(client)
        try await fixtures.createAPI()
        let app = try await fixtures.createApp(name: "M2M", appType: "non_interactive", grantTypes: ["client_credentials"])
        _ = try await client.json(
            .patch, "/api/v2/clients/\(app.id)", .object(["client_metadata": .object(["tier": .string(tier)])]), token: fixtures.token)
        let grant: JSONValue = .object([
            "client_id": .string(app.id), "audience": "https://api.example/", "scope": .array(["read:things", "write:things"]),
        ])
        #expect(try await client.json(.post, "/api/v2/client-grants", grant, token: fixtures.token).status == .created)
        try await HookFlowSupport.create(
            fixtures, name: "m2m-hook", trigger: "credentials-exchange", script: Self.m2mHook, secrets: ["API_KEY": "sk-live-123456"])
        if !actions.isEmpty { try await fixtures.bind(actions, to: "credentials-exchange", version: "v2") }
        return (
            fixtures,
            [
                "grant_type": "client_credentials", "client_id": app.id, "client_secret": app.secret ?? "",
                "audience": "https://api.example/", "scope": "read:things",
            ]
        )
    }

    @Test("credentials-exchange: the hook's scope replaces the granted one, its namespaced claims are added, then the actions run")
    func credentialsExchange() async throws {
        try await TestServer.run { client in
            let after = Fixtures.BoundCode(
                name: "after-hook",
                code:
                    "exports.onExecuteCredentialsExchange = async (event, api) => { api.accessToken.setCustomClaim('https://example.com/seen', event.transaction.target_scopes); };"
            )
            let (fixtures, fields) = try await Self.m2m(client, tier: "gold", actions: [after])
            let reply = try await client.form("/oauth/token", fields)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["scope"] == "read:things extra:audit")
            let claims = jwtClaims(try #require(reply.json["access_token"]?.stringValue))
            #expect(claims["scope"] == "read:things extra:audit")
            #expect(claims["https://example.com/tier"] == "gold")
            #expect(claims["https://example.com/audience"] == "https://api.example/")
            #expect(claims["https://example.com/seen"] == .array(["read:things", "extra:audit"]))

            // One execution: the hook, then the action; the hook's secret is not in its logs.
            _ = try await HookFlowSupport.logs(client, trigger: "credentials-exchange", step: "after-hook")
            let results = try await HookFlowSupport.results(client, trigger: "credentials-exchange")
            #expect(results.compactMap { $0["action_name"]?.stringValue } == ["m2m-hook", "after-hook"])
            #expect(results.first?["logs"] == "api key [redacted]\n")
            #expect(results.first?["binding_id"] == nil)

            // Disabled, the hook no longer runs: the grant's scope is back.
            let hooks = try await client.json(.get, "/api/v2/hooks?triggerId=credentials-exchange", token: fixtures.token)
            let id = try #require(hooks.json.arrayValue?.first?["id"]?.stringValue)
            _ = try await client.json(.patch, "/api/v2/hooks/\(id)", .object(["enabled": false]), token: fixtures.token)
            let plain = try await client.form("/oauth/token", fields)
            #expect(plain.json["scope"] == "read:things", "\(plain.text)")
        }
    }

    @Test("credentials-exchange: InvalidScopeError is an RFC 6749 invalid_scope; any other error fails the exchange closed")
    func credentialsExchangeErrors() async throws {
        try await TestServer.run { client in
            let (fixtures, fields) = try await Self.m2m(client, tier: "blocked")
            let denied = try await client.form("/oauth/token", fields)
            #expect(denied.status == .badRequest)
            #expect(denied.json["error"] == "invalid_scope")
            #expect(denied.json["error_description"] == "This client may not have tokens.")

            let clientID = try #require(fields["client_id"])
            _ = try await client.json(
                .patch, "/api/v2/clients/\(clientID)", .object(["client_metadata": .object(["tier": "broken"])]), token: fixtures.token)
            let failed = try await client.form("/oauth/token", fields)
            #expect(failed.status == .forbidden)
            #expect(failed.json["error"] == "access_denied")
            #expect(
                failed.json["error_description"]?.stringValue?.hasPrefix("The hook 'm2m-hook' failed; the token was not issued") == true)
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            let failure = try #require(logs.first { $0["type"] == "actions_execution_failed" })
            #expect(failure["description"] == "The hook 'm2m-hook' failed: billing lookup failed")
            #expect(failure["details"]?["hook_name"] == "m2m-hook")
        }
    }

    static let registrationHook = """
        module.exports = function (user, context, cb) {
          if (user.email.endsWith('@blocked.example')) {
            return cb(new PreUserRegistrationError('blocked domain ' + user.email, 'Sign-ups from this domain are closed.'));
          }
          if (user.email.startsWith('crash')) return cb(new Error('directory unreachable'));
          cb(null, { user: {
            app_metadata: { plan: 'trial', connection: context.connection.name },
            user_metadata: { lang: context.request.language || 'en', tenant: user.tenant },
          } });
        };
        """

    @Test(
        "pre-user-registration: the hook's metadata lands on the created user (before the actions, which see it); its error refuses the sign-up"
    )
    func preUserRegistration() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await HookFlowSupport.create(fixtures, name: "signup-hook", trigger: "pre-user-registration", script: Self.registrationHook)
            let after = Fixtures.BoundCode(
                name: "after-hook",
                code:
                    "exports.onExecutePreUserRegistration = async (event, api) => { api.user.setAppMetadata('seen_plan', event.user.app_metadata.plan); };"
            )
            try await fixtures.bind([after], to: "pre-user-registration", version: "v2")

            let allowed = try await PreUserRegistrationTests.signup(client, app, email: "sam@example.com")
            #expect(allowed.status == .ok, "\(allowed.text)")
            let users = try await client.json(.get, "/api/v2/users-by-email?email=sam@example.com", token: fixtures.token)
            let sam = try #require(users.json.arrayValue?.first, "\(users.text)")
            #expect(
                sam["app_metadata"] == .object(["plan": "trial", "connection": "Username-Password-Authentication", "seen_plan": "trial"]))
            #expect(sam["user_metadata"] == .object(["lang": "en", "tenant": "localhost"]), "\(sam)")

            let denied = try await PreUserRegistrationTests.signup(client, app, email: "eve@blocked.example")
            #expect(denied.status == .badRequest)
            #expect(denied.json["code"] == "extensibility_error", "\(denied.text)")
            #expect(denied.json["description"] == "Sign-ups from this domain are closed.")
            let nobody = try await client.json(.get, "/api/v2/users-by-email?email=eve@blocked.example", token: fixtures.token)
            #expect(nobody.json.arrayValue == [])

            let crashed = try await PreUserRegistrationTests.signup(client, app, email: "crash@example.com")
            #expect(crashed.status == .badRequest)
            #expect(crashed.json["description"] == "The sign-up could not be completed. Try again later or contact support.")
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "fs" && $0["description"] == "blocked domain eve@blocked.example" }, "\(logs)")

            // The Management API door runs the hook too (without a client).
            let created = try await client.json(
                .post, "/api/v2/users",
                .object([
                    "connection": "Username-Password-Authentication", "email": "admin-made@example.com",
                    "password": "correct-horse-battery",
                ]), token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["app_metadata"]?["plan"] == "trial")
        }
    }

    static let registeredHook = """
        module.exports = function (user, context, cb) {
          console.log(JSON.stringify({ id: user.id, email: user.email, verified: user.emailVerified, connection: context.connection.name, secret: context.webtask.secrets.CRM_TOKEN }));
          cb(new Error('CRM is down'));
        };
        """
    static let passwordHook = """
        module.exports = function (user, context, cb) {
          console.log(JSON.stringify({ id: user.id, email: user.email, changed: typeof user.last_password_reset, connection: context.connection.name }));
          cb();
        };
        """

    @Test(
        "post-user-registration and post-change-password: the hook alone is delivered from the outbox; its failure never affects the change"
    )
    func asynchronous() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await HookFlowSupport.create(
                fixtures, name: "crm-hook", trigger: "post-user-registration", script: Self.registeredHook,
                secrets: ["CRM_TOKEN": "crm-secret-9876"])
            try await HookFlowSupport.create(fixtures, name: "password-hook", trigger: "post-change-password", script: Self.passwordHook)
            let services = client.server.services
            services.outbox.start()

            let userID = try await fixtures.createUser(email: "hooked@example.com")  // 201 whatever the hook does
            let registered = try await HookFlowSupport.logs(client, trigger: "post-user-registration", step: "crm-hook")
            let seen = try #require(JSONValue(jsonText: registered[0].trimmingCharacters(in: .newlines)))
            #expect(seen["id"]?.stringValue == String(userID.split(separator: "|").last ?? ""))
            #expect(seen["email"] == "hooked@example.com" && seen["verified"] == false)
            #expect(seen["connection"] == "Username-Password-Authentication")
            #expect(seen["secret"] == "[redacted]")
            let row = try await services.storage.read { try await $0.outbox.find(idempotencyKey: "post-user-registration:\(userID)") }
            #expect(
                row?.lastError?.contains("the post-user-registration hook 'crm-hook' failed (action_error)") == true,
                "\(String(describing: row))")
            #expect(try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token).status == .ok)

            let changed = try await client.json(
                .patch, "/api/v2/users/\(userID)", .object(["password": "a-brand-new-secret-passphrase"]), token: fixtures.token)
            #expect(changed.status == .ok, "\(changed.text)")
            let password = try await HookFlowSupport.logs(client, trigger: "post-change-password", step: "password-hook")
            let change = try #require(JSONValue(jsonText: password[0].trimmingCharacters(in: .newlines)))
            #expect(
                change
                    == .object([
                        "id": .string(userID), "email": "hooked@example.com", "changed": "string",
                        "connection": "Username-Password-Authentication",
                    ]))
            await services.outbox.stop()
        }
    }

    static let smsHook = """
        module.exports = function (recipient, text, context, cb) {
          if (context.action !== 'enrollment') return cb(new Error('gateway refused'));
          console.log(JSON.stringify({ recipient, text, code: context.code, action: context.action, type: context.message_type, client: context.client.client_id }));
          cb();
        };
        """

    @Test("send-phone-message: with phone-message-hook selected and only a hook enabled, the hook delivers the MFA code")
    func sendPhoneMessage() async throws {
        try await TestServer.run { client in
            let setup = try await MultifactorAPITests.setUp(client, factors: ["sms", "recovery-code"])
            let app = setup.app
            let provider = try await client.json(
                .put, "/api/v2/guardian/factors/phone/selected-provider", .object(["provider": "phone-message-hook"]),
                token: setup.fixtures.token)
            #expect(provider.status == .ok)
            try await HookFlowSupport.create(setup.fixtures, name: "sms-hook", trigger: "send-phone-message", script: Self.smsHook)

            let mfaToken = try await MultifactorAPITests.login(client, app)
            let associated = try await MultifactorAPITests.bearer(
                client, .post, "/mfa/associate", mfaToken,
                .object(["authenticator_types": .array(["oob"]), "oob_channels": .array(["sms"]), "phone_number": "+15555550100"]))
            #expect(associated.status == .ok, "\(associated.text)")
            let sent = try await HookFlowSupport.logs(client, trigger: "send-phone-message", step: "sms-hook")
            let message = try #require(JSONValue(jsonText: sent[0].trimmingCharacters(in: .newlines)))
            #expect(message["recipient"] == "+15555550100" && message["action"] == "enrollment" && message["type"] == "sms")
            #expect(message["client"] == .string(app.id))
            let code = try #require(message["code"]?.stringValue)
            #expect(message["text"]?.stringValue?.contains(code) == true)
            let oobCode = try #require(associated.json["oob_code"]?.stringValue)
            let tokens = try await MultifactorAPITests.token(
                client, app, ["grant_type": MultifactorAPI.oobGrantType, "mfa_token": mfaToken, "oob_code": oobCode, "binding_code": code])
            #expect(tokens.status == .ok, "\(tokens.text)")

            // A hook that fails (it refuses every challenge after the enrolment) means the code was not sent.
            let second = try await MultifactorAPITests.login(client, app)
            let listed = try await MultifactorAPITests.bearer(client, .get, "/mfa/authenticators", second)
            let phoneID = try #require(listed.json.arrayValue?.first { $0["authenticator_type"] == "oob" }?["id"]?.stringValue)
            let refused = try await MultifactorAPITests.challenge(
                client, app, ["mfa_token": second, "challenge_type": "oob", "authenticator_id": phoneID])
            #expect(refused.status != .ok)
            #expect(refused.text.contains("send-phone-message hook 'sms-hook' failed"), "\(refused.text)")
        }
    }
}
