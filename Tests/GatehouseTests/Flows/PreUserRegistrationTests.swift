import Foundation
import GatehouseCore
import Testing

/// `pre-user-registration` (`auth0-actions.md` §2.4, §3.3) at each door a database user comes
/// through: `/dbconnections/signup`, the hosted sign-up page and `POST /api/v2/users`.
@Suite("pre-user-registration: every sign-up door") struct PreUserRegistrationTests {
    typealias Code = Fixtures.BoundCode

    static let gate = Code(
        name: "signup-gate",
        code: """
            exports.onExecutePreUserRegistration = async (event, api) => {
              if (event.user.email.endsWith('@blocked.example')) {
                api.access.deny('blocked domain ' + event.user.email, 'Sign-ups from this domain are closed.');
                return;
              }
              if (event.user.email.startsWith('invalid')) {
                api.validation.error('invalid_email_prefix', 'This address cannot be used.');
                return;
              }
              api.user.setAppMetadata('plan', 'trial');
              api.user.setUserMetadata('seen', {
                client: event.client?.client_id ?? null, body_email: event.request?.body?.email ?? null,
                protocol: event.transaction?.protocol ?? null, has_id: 'user_id' in event.user,
                connection: event.connection.name, tenant: event.tenant.id, ip: typeof event.request?.ip,
              });
            };
            """)

    static func signup(_ client: TestClient, _ app: Fixtures.App, email: String) async throws -> TestClient.Reply {
        try await client.json(
            .post, "/dbconnections/signup",
            .object([
                "client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": .string(email),
                "password": "correct-horse-battery",
            ]))
    }

    @Test("/dbconnections/signup: metadata lands on the created user; a denial answers Auth0's extensibility_error and creates nobody")
    func signupEndpoint() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.bind([Self.gate], to: "pre-user-registration", version: "v2")

            let allowed = try await Self.signup(client, app, email: "sam@example.com")
            #expect(allowed.status == .ok, "\(allowed.text)")
            let users = try await client.json(.get, "/api/v2/users-by-email?email=sam@example.com", token: fixtures.token)
            let sam = try #require(users.json.arrayValue?.first, "\(users.text)")
            #expect(sam["app_metadata"] == .object(["plan": "trial"]))
            #expect(
                sam["user_metadata"]?["seen"]
                    == .object([
                        "client": .string(app.id), "body_email": "sam@example.com", "protocol": "oidc-basic-profile", "has_id": false,
                        "connection": "Username-Password-Authentication", "tenant": "localhost", "ip": "string",
                    ]), "\(sam)")

            let denied = try await Self.signup(client, app, email: "eve@blocked.example")
            #expect(denied.status == .badRequest)
            #expect(denied.json["code"] == "extensibility_error" && denied.json["name"] == "ExtensibilityError", "\(denied.text)")
            #expect(denied.json["description"] == "Sign-ups from this domain are closed.")
            let nobody = try await client.json(.get, "/api/v2/users-by-email?email=eve@blocked.example", token: fixtures.token)
            #expect(nobody.json.arrayValue == [])
            let validation = try await Self.signup(client, app, email: "invalid@example.com")
            #expect(validation.json["description"] == "This address cannot be used.", "\(validation.text)")

            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            let failed = logs.filter { $0["type"] == "fs" }
            #expect(failed.contains { $0["description"] == "blocked domain eve@blocked.example" }, "\(logs)")
            #expect(failed.contains { $0["description"] == "invalid_email_prefix" }, "\(logs)")
        }
    }

    @Test("the hosted sign-up page shows the action's message; the Management API answers in its own shape, without a client")
    func pageAndManagementAPI() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.bind([Self.gate], to: "pre-user-registration", version: "v2")

            let uri =
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&scope=openid"
                + "&screen_hint=signup&code_challenge=\(PKCEPair.make().challenge)&code_challenge_method=S256"
            let authorize = try await client.request(.get, uri)
            let page = try await client.request(.get, try #require(authorize.location))
            let state = try #require(page.hiddenInput("state"))
            let refused = try await client.form(
                "/u/signup?state=\(state)",
                [
                    "state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "email": "eve@blocked.example",
                    "password": "correct-horse-battery",
                ])
            #expect(refused.status == .forbidden)
            #expect(refused.text.contains("Sign-ups from this domain are closed."))
            let accepted = try await client.form(
                "/u/signup?state=\(state)",
                [
                    "state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "email": "page@example.com",
                    "password": "correct-horse-battery",
                ])
            #expect(accepted.redirectQuery["code"] != nil, "\(accepted.location ?? accepted.text)")
            let pageUser = try await client.json(.get, "/api/v2/users-by-email?email=page@example.com", token: fixtures.token)
            #expect(pageUser.json.arrayValue?.first?["user_metadata"]?["seen"]?["client"] == .string(app.id))

            let denied = try await client.json(
                .post, "/api/v2/users",
                .object([
                    "connection": "Username-Password-Authentication", "email": "eve@blocked.example", "password": "correct-horse-battery",
                ]), token: fixtures.token)
            #expect(denied.status == .badRequest)
            #expect(denied.json["statusCode"] == .number(400) && denied.json["errorCode"] == "extensibility_error", "\(denied.text)")
            #expect(denied.json["message"] == "Sign-ups from this domain are closed.")
            let created = try await client.json(
                .post, "/api/v2/users",
                .object(["connection": "Username-Password-Authentication", "email": "api@example.com", "password": "correct-horse-battery"]
                ),
                token: fixtures.token)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.json["app_metadata"] == .object(["plan": "trial"]))
            #expect(created.json["user_metadata"]?["seen"]?["client"] == .null, "Auth0's Management API sign-up has no client")
            #expect(created.json["user_metadata"]?["seen"]?["protocol"] == .null)
        }
    }

    @Test("an action that throws refuses the sign-up with a generic message; the log says why")
    func throwingAction() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let broken = Code(
                name: "broken-gate",
                code: "exports.onExecutePreUserRegistration = async () => { throw new Error('CRM is down'); };")
            try await fixtures.bind([broken], to: "pre-user-registration", version: "v2")
            let refused = try await Self.signup(client, app, email: "sam@example.com")
            #expect(refused.status == .badRequest)
            #expect(refused.json["description"]?.stringValue?.contains("could not be completed") == true, "\(refused.text)")
            #expect(refused.text.contains("CRM") == false, "the action's error stays in the log")
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            #expect(logs.contains { $0["type"] == "fs" && ($0["description"]?.stringValue?.contains("CRM is down") ?? false) }, "\(logs)")
        }
    }
}
