import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Logging
import Testing

/// post-user-registration and post-change-password (`auth0-actions.md` §2.5, §2.6, §3.4):
/// enqueued in the transaction of the change, delivered after the commit by the outbox relay,
/// retried when the action fails, never affecting the change.
@Suite("Asynchronous triggers: post-user-registration and post-change-password") struct AsyncTriggerTests {
    /// Keeps what each delivery saw in `api.cache`, under the user's id.
    static let registrationRecorder = """
        exports.onExecutePostUserRegistration = async (event, api) => {
          api.cache.set('reg:' + event.user.user_id.slice(-8), JSON.stringify({
            keys: Object.keys(event).sort(), user_id: event.user.user_id, email: event.user.email,
            identities: event.user.identities.length, app_metadata: event.user.app_metadata,
            connection: event.connection.name, strategy: event.connection.strategy,
            client: event.client && event.client.client_id, ip: event.request && event.request.ip,
            geoip: event.request && typeof event.request.geoip, body: event.request && event.request.body,
            scopes: event.transaction && event.transaction.requested_scopes, tenant: event.tenant.id,
            delivery: event.delivery, secrets: typeof event.secrets,
          }));
        };
        """

    static let passwordRecorder = """
        exports.onExecutePostChangePassword = async (event, api) => {
          api.cache.set('pwd:' + event.delivery.idempotency_key.slice(-16), JSON.stringify({
            keys: Object.keys(event).sort(), user: event.user, connection: event.connection.name,
            ip: event.request.ip, delivery: event.delivery,
          }));
        };
        """

    static func recorded(_ client: TestClient, _ trigger: String) async throws -> [String: JSONValue] {
        let entries = try await client.server.services.storage.read {
            try await $0.actionCache.entries(trigger: trigger, now: Timestamp.nowMillis())
        }
        var found: [String: JSONValue] = [:]
        for entry in entries { found[entry.key] = JSONValue(jsonText: entry.value) }
        return found
    }

    static func strings(_ values: String...) -> JSONValue { .array(values.map(JSONValue.string)) }

    static func cacheKey(_ userID: String) -> String { "reg:" + String(userID.suffix(8)) }

    @Test("every door that creates a database user delivers post-user-registration after the commit, with Auth0's event")
    func registrationFromEveryDoor() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            try await fixtures.bind(
                [.init(name: "welcome-webhook", code: Self.registrationRecorder)], to: "post-user-registration", version: "v2")
            let relay = client.server.services.outbox
            relay.start()

            // The Management API (no client, no transaction).
            let viaAPI = try await fixtures.createUser(email: "api@example.com")
            // The Authentication API's sign-up (a client, no transaction).
            let signup = try await client.json(
                .post, "/dbconnections/signup",
                .object([
                    "client_id": .string(app.id), "connection": "Username-Password-Authentication", "email": "public@example.com",
                    "password": "correct-horse-battery",
                ]))
            #expect(signup.status == .ok, "\(signup.text)")
            let viaSignup = "auth0|" + (signup.json["_id"]?.stringValue ?? "")
            // The hosted sign-up page (a client and the /authorize transaction).
            let uri =
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)"
                + "&scope=openid%20profile&screen_hint=signup&code_challenge=\(PKCEPair.make().challenge)&code_challenge_method=S256"
            let page = try await client.request(.get, try #require(try await client.request(.get, uri).location))
            let state = try #require(page.hiddenInput("state"))
            let hosted = try await client.form(
                "/u/signup?state=\(state)",
                [
                    "state": state, "_csrf": page.hiddenInput("_csrf") ?? "", "email": "page@example.com",
                    "password": "correct-horse-battery",
                ])
            #expect(hosted.status == .found, "\(hosted.text)")
            let viaPage = try #require(
                try await client.server.services.storage.read {
                    try await $0.users.find(connection: "Username-Password-Authentication", login: "page@example.com")
                }
            ).user_id

            await relay.waitUntilIdle()
            let recorded = try await Self.recorded(client, "post-user-registration")
            let api = try #require(recorded[Self.cacheKey(viaAPI)], "\(recorded)")
            let public_ = try #require(recorded[Self.cacheKey(viaSignup)], "\(recorded)")
            let hostedEvent = try #require(recorded[Self.cacheKey(viaPage)], "\(recorded)")

            #expect(api["keys"] == Self.strings("connection", "delivery", "request", "secrets", "tenant", "user"))
            #expect(public_["keys"] == Self.strings("client", "connection", "delivery", "request", "secrets", "tenant", "user"))
            #expect(
                hostedEvent["keys"]
                    == Self.strings("client", "connection", "delivery", "request", "secrets", "tenant", "transaction", "user"))
            #expect(api["user_id"] == .string(viaAPI) && api["email"] == "api@example.com" && api["identities"] == 1)
            #expect(public_["client"] == .string(app.id) && hostedEvent["client"] == .string(app.id))
            #expect(hostedEvent["scopes"] == Self.strings("openid", "profile"))
            for event in [api, public_, hostedEvent] {
                #expect(event["connection"] == "Username-Password-Authentication" && event["strategy"] == "auth0")
                #expect(event["tenant"] == "localhost" && event["secrets"] == "object" && event["geoip"] == "object")
                #expect(event["body"] == nil, "no request body (it held the password)")
                #expect(event["delivery"]?["attempt"] == 1)
            }
            #expect(api["delivery"]?["idempotency_key"] == .string("post-user-registration:\(viaAPI)"))
            // Delivered rows stay until the purger's cut-off, as delivered.
            #expect(try await client.server.services.storage.read { try await $0.outbox.counts() } == [.delivered: 3])
        }
    }

    @Test("nothing bound: a sign-up enqueues nothing; a binding removed before delivery makes the delivery a no-op")
    func unbound() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await fixtures.createUser(email: "first@example.com")
            let storage = client.server.services.storage
            #expect(try await storage.read { try await $0.outbox.counts() } == [:])

            try await fixtures.bind([.init(name: "recorder", code: Self.registrationRecorder)], to: "post-user-registration", version: "v2")
            let second = try await fixtures.createUser(email: "second@example.com")
            let unbind = try await client.json(
                .patch, "/api/v2/actions/triggers/post-user-registration/bindings", .object(["bindings": .array([])]), token: fixtures.token
            )
            #expect(unbind.status == .ok)
            await client.server.services.outbox.waitUntilIdle()
            #expect(
                try await storage.read { try await $0.outbox.find(idempotencyKey: "post-user-registration:\(second)") }?.state == .delivered
            )
            #expect(try await Self.recorded(client, "post-user-registration").isEmpty, "no action ran")
        }
    }

    @Test("a failing action never affects the sign-up: it is retried with backoff, each attempt recorded as an execution")
    func failingActionRetried() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let flaky = """
                exports.onExecutePostUserRegistration = async (event, api) => {
                  if (event.delivery.attempt < 3) throw new Error('CRM answered 503 for ' + event.secrets.NOTHING);
                  api.cache.set('done', String(event.delivery.attempt));
                };
                """
            try await fixtures.bind([.init(name: "crm-sync", code: flaky)], to: "post-user-registration", version: "v2")
            let services = client.server.services
            // A relay of the test's, with short backoff, delivering with the server's handlers.
            var logger = Logger(label: "relay")
            logger.logLevel = .critical
            let relay = OutboxRelay(
                storage: services.storage, logger: logger,
                settings: OutboxRelay.Settings(
                    retry: OutboxRetryPolicy(backoff: [.milliseconds(50), .milliseconds(50)]), pollInterval: .seconds(3_600)))
            for handler in services.asyncTriggers.handlers { relay.register(handler) }
            relay.start()

            let userID = try await fixtures.createUser(email: "crm@example.com")  // answered 201 whatever the action does
            relay.wake()  // the server wakes its own relay, which is not running here
            let key = "post-user-registration:\(userID)"
            try await OutboxRelayTests.eventually("the registration is delivered") {
                try await services.storage.read { try await $0.outbox.find(idempotencyKey: key) }?.state == .delivered
            }
            await relay.stop()
            let row = try #require(try await services.storage.read { try await $0.outbox.find(idempotencyKey: key) })
            #expect(row.attempts == 3)
            #expect(try await Self.recorded(client, "post-user-registration")["done"] == 3)
            // The kept error names the action and its execution, not the action's own message.
            let error = try #require(row.lastError)
            #expect(error.contains("the post-user-registration action 'crm-sync' failed (action_error)"), "\(error)")
            #expect(!error.contains("CRM answered"))

            // Each failed attempt is an execution with its actions_execution_failed log event.
            let logs = try await client.json(.get, "/api/v2/logs?per_page=100", token: fixtures.token)
            let failures = (logs.json.arrayValue ?? []).filter {
                $0["type"] == "actions_execution_failed" && $0["details"]?["trigger_id"] == "post-user-registration"
            }
            #expect(failures.count == 2, "\(logs.text)")
            #expect(failures.allSatisfy { $0["user_id"] == .string(userID) && $0["details"]?["action_name"] == "crm-sync" })
            let executionID = try #require(failures.first?["details"]?["execution_id"]?.stringValue)
            let execution = try await client.json(.get, "/api/v2/actions/executions/\(executionID)", token: fixtures.token)
            #expect(execution.status == .ok && execution.json["trigger_id"] == "post-user-registration", "\(execution.text)")
            #expect(execution.json["results"]?.arrayValue?.first?["error"]?["msg"]?.stringValue?.contains("CRM answered 503") == true)

            // The user exists, whatever the action did.
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.status == .ok)
        }
    }

    @Test("PATCH /api/v2/users/{id} with a password delivers post-change-password with Auth0's minimal user, never the password")
    func passwordChange() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser(email: "pwd@example.com")
            try await fixtures.bind([.init(name: "notify", code: Self.passwordRecorder)], to: "post-change-password", version: "v2")
            let services = client.server.services
            services.outbox.start()

            let profileOnly = try await client.json(.patch, "/api/v2/users/\(userID)", .object(["name": "Pat"]), token: fixtures.token)
            #expect(profileOnly.status == .ok)
            #expect(try await services.storage.read { try await $0.outbox.counts() } == [:], "no password, no message")

            let password = "a-brand-new-secret-passphrase"
            let changed = try await client.json(
                .patch, "/api/v2/users/\(userID)", .object(["password": .string(password)]), token: fixtures.token)
            #expect(changed.status == .ok, "\(changed.text)")
            // Stored and delivered without the password.
            let stored = try await services.storage.database.read { db in
                try await db.select().column("payload").from("outbox").all().map { try $0.decode(column: "payload", as: String.self) }
            }
            #expect(stored.count == 1 && !stored[0].contains(password))

            await services.outbox.waitUntilIdle()
            let recorded = try await Self.recorded(client, "post-change-password")
            let event = try #require(recorded.values.first, "\(recorded)")
            #expect(event["keys"] == Self.strings("connection", "delivery", "request", "secrets", "tenant", "transaction", "user"))
            let user = try #require(event["user"]?.objectValue)
            #expect(Set(user.keys) == ["user_id", "email", "email_verified", "last_password_reset"], "\(user)")
            #expect(user["user_id"] == .string(userID) && user["email"] == "pwd@example.com")
            #expect(event["connection"] == "Username-Password-Authentication" && event["delivery"]?["attempt"] == 1)
            #expect(!(event.jsonText().contains(password)))
            // Every change is a message of its own.
            _ = try await client.json(
                .patch, "/api/v2/users/\(userID)", .object(["password": "yet-another-passphrase"]), token: fixtures.token)
            await services.outbox.waitUntilIdle()
            #expect(try await Self.recorded(client, "post-change-password").count == 2)
        }
    }
}
