import Foundation
import GatehouseCore
import GatehouseStorage
import SQLKit
import Testing

@testable import GatehouseIdentity

/// MFA codes through the tenant's custom phone provider: the `custom-phone-provider` action
/// receives Auth0's event from the outbox and its code finishes the login; `retry` is tried
/// again with the same (still valid) code, `drop` and a last failed attempt end the message and
/// its code; a caller cannot send a code to a number that is not the user's.
@Suite("custom-phone-provider: MFA codes from the outbox, retry, drop, the code's life") struct CustomPhoneProviderTests {
    /// Counts deliveries per recipient; by the number's last digits: `0199` drops (after a retry
    /// call: the last call wins), `0198` asks for a retry twice then delivers, `0197` always
    /// throws. It records each message it handles (the code included) in `api.cache`.
    static let action = """
        exports.onExecuteCustomPhoneProvider = async (event, api) => {
          const n = event.notification;
          const key = 'n:' + n.recipient;
          const seen = Number((api.cache.get(key) || {}).value || '0') + 1;
          api.cache.set(key, String(seen));
          api.cache.set('code:' + n.recipient, n.code);
          if (n.recipient.endsWith('0199')) { api.notification.retry('first'); api.notification.drop('number unreachable'); return; }
          if (n.recipient.endsWith('0198') && seen < 3) { api.notification.retry('gateway busy'); return; }
          if (n.recipient.endsWith('0197')) { throw new Error('gateway exploded'); }
          api.cache.set('last', JSON.stringify({ notification: n, user: event.user.user_id, client: event.client && event.client.client_id,
            tenant: event.tenant, ip: event.request.ip, connection: event.connection.name, keys: Object.keys(event).sort() }));
        };
        """

    static func cache(_ client: TestClient, _ key: String) async throws -> String? {
        let entries = try await client.server.services.storage.read {
            try await $0.actionCache.entries(trigger: CustomPhoneProvider.trigger, now: Timestamp.nowMillis())
        }
        return entries.first { $0.key == key }?.value
    }

    static func last(_ client: TestClient) async throws -> JSONValue {
        let text = try #require(try await cache(client, "last"))
        return try #require(JSONValue(jsonText: text))
    }

    /// The phone outbox rows, oldest first.
    static func phoneRows(_ client: TestClient) async throws -> [OutboxRecord] {
        let ids = try await client.server.services.storage.database.read { db in
            try await db.select().column("id").from("outbox").where("kind", .equal, PhoneProviderService.outboxKind)
                .orderBy("created_at").all().map { try $0.decode(column: "id", as: String.self) }
        }
        var rows: [OutboxRecord] = []
        for id in ids { if let row = try await client.server.services.storage.read({ try await $0.outbox.get(id) }) { rows.append(row) } }
        return rows
    }

    static func createCustomProvider(_ fixtures: Fixtures) async throws -> String {
        let created = try await fixtures.client.json(
            .post, PhoneProviderAPITests.path,
            .object(["name": "custom", "configuration": .object(["delivery_methods": .array(["text", "voice"])])]), token: fixtures.token)
        #expect(created.status == .created, "\(created.text)")
        return try #require(created.json["id"]?.stringValue)
    }

    @Test("MFA API: associate sends the code through the action (whatever Guardian's provider), mfa-oob confirms; a challenge too")
    func enrolmentThroughTheMFAAPI() async throws {
        try await TestServer.run { client in
            let setup = try await MultifactorAPITests.setUp(client, factors: ["sms", "recovery-code"])
            let app = setup.app
            _ = try await Self.createCustomProvider(setup.fixtures)
            let associate: JSONValue = .object([
                "authenticator_types": .array(["oob"]), "oob_channels": .array(["sms"]), "phone_number": "+15555550100",
            ])
            // No action bound: a precise refusal, nothing enqueued.
            let first = try await MultifactorAPITests.login(client, app)
            let unbound = try await MultifactorAPITests.bearer(client, .post, "/mfa/associate", first, associate)
            MultifactorAPITests.expectError(unbound, .badRequest, "invalid_request")
            #expect(
                unbound.json["error_description"]?.stringValue?.contains("no action is bound to the custom-phone-provider trigger") == true,
                "\(unbound.text)")
            #expect(try await Self.phoneRows(client).isEmpty)

            try await setup.fixtures.bind([.init(name: "sms-gateway", code: Self.action)], to: "custom-phone-provider", version: "v1")
            // One action delivers: a second binding is refused (catalog `max_bindings: 1`).
            let reference: JSONValue = .object(["ref": .object(["type": "action_name", "value": "sms-gateway"])])
            let two = try await client.json(
                .patch, "/api/v2/actions/triggers/custom-phone-provider/bindings",
                .object(["bindings": .array([reference, reference])]), token: setup.fixtures.token)
            #expect(two.status == .badRequest && two.json["errorCode"] == "too_many_bindings", "\(two.text)")
            let login = try await MultifactorAPITests.login(client, app)
            let associated = try await MultifactorAPITests.bearer(client, .post, "/mfa/associate", login, associate)
            #expect(associated.status == .ok && associated.json["oob_channel"] == "sms", "\(associated.text)")
            let oobCode = try #require(associated.json["oob_code"]?.stringValue)
            await client.server.services.outbox.waitUntilIdle()

            let sent = try await Self.last(client)
            let notification = try #require(sent["notification"]?.objectValue)
            #expect(notification["message_type"] == "otp_enroll" && notification["delivery_method"] == "text")
            #expect(notification["recipient"] == "+15555550100" && notification["locale"] == "en")
            let code = try #require(notification["code"]?.stringValue)
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
            #expect(notification["as_text"]?.stringValue?.hasPrefix("\(code) is your verification code for localhost") == true)
            #expect(notification["as_voice"]?.stringValue?.contains(code.map(String.init).joined(separator: ", ")) == true)
            #expect(sent["user"] == .string(setup.userID) && sent["client"] == .string(app.id) && sent["ip"] == "0.0.0.0")
            #expect(sent["tenant"]?["id"] == "localhost" && sent["tenant"]?["friendly_name"] == "localhost")
            #expect(sent["connection"] == "Username-Password-Authentication")
            let sample = (try SampleEventsFile.keys("custom-phone-provider") + ["secrets"]).sorted()
            #expect(sent["keys"] == .array(sample.map(JSONValue.string)), "\(sent["keys"] ?? .null) vs \(sample)")
            #expect(try await Self.phoneRows(client).map(\.state) == [.delivered])
            // The outbox row does not hold the code in clear.
            #expect(try await Self.phoneRows(client).first?.payload.jsonText().contains(code) == false)

            let tokens = try await MultifactorAPITests.token(
                client, app, ["grant_type": MultifactorAPI.oobGrantType, "mfa_token": login, "oob_code": oobCode, "binding_code": code])
            #expect(tokens.status == .ok, "\(tokens.text)")
            #expect(jwtClaims(try #require(tokens.json["id_token"]?.stringValue))["amr"] == .array(["mfa"]))

            // The next login is challenged by the same path, message type otp_verify.
            let second = try await MultifactorAPITests.login(client, app)
            let listed = try await MultifactorAPITests.bearer(client, .get, "/mfa/authenticators", second)
            let phoneID = try #require(listed.json.arrayValue?.first { $0["authenticator_type"] == "oob" }?["id"]?.stringValue)
            let challenged = try await MultifactorAPITests.challenge(
                client, app, ["mfa_token": second, "challenge_type": "oob", "authenticator_id": phoneID])
            #expect(challenged.status == .ok, "\(challenged.text)")
            await client.server.services.outbox.waitUntilIdle()
            let challenge = try await Self.last(client)
            #expect(challenge["notification"]?["message_type"] == "otp_verify")
            let loginCode = try #require(challenge["notification"]?["code"]?.stringValue)
            let again = try await MultifactorAPITests.token(
                client, app,
                [
                    "grant_type": MultifactorAPI.oobGrantType, "mfa_token": second,
                    "oob_code": try #require(challenged.json["oob_code"]?.stringValue), "binding_code": loginCode,
                ])
            #expect(again.status == .ok, "\(again.text)")
        }
    }

    /// A user with a pending SMS enrolment for `number`, its code sent through the provider.
    static func enrol(_ client: TestClient, _ fixtures: Fixtures, email: String, number: String) async throws -> String {
        let userID = try await fixtures.createUser(email: email)
        let origin = SendPhoneMessage.Origin(
            client: nil, request: ActionEventRequest(ip: "203.0.113.7", method: "POST", hostname: nil, userAgent: nil, language: nil),
            configurationVersion: try await client.server.services.storage.read { try await $0.tenant.configurationVersion() })
        _ = try await client.server.services.multifactor.startPhoneEnrollment(userID: userID, phoneNumber: number, origin: origin)
        return userID
    }

    static func pendingEnrollment(_ client: TestClient, _ userID: String) async throws -> String {
        let enrollments = try await client.server.services.storage.read { try await $0.multifactor.enrollments(userID: userID) }
        return try #require(enrollments.first { $0.kind == .phone }?.id)
    }

    @Test("retry is delivered again with the same valid code; drop is dead at once and kills the code; a last failure too")
    func retryDropAndFailure() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await MultifactorTests.enable(fixtures, ["sms", "recovery-code"])
            _ = try await Self.createCustomProvider(fixtures)
            try await fixtures.bind([.init(name: "sms-gateway", code: Self.action)], to: "custom-phone-provider", version: "v1")
            let relay = client.server.services.outbox
            let mfa = client.server.services.multifactor

            // Retry twice, then delivered: three attempts, one row, the code still works.
            let retried = try await Self.enrol(client, fixtures, email: "retry@example.com", number: "+15555550198")
            await relay.waitUntilIdle()
            var row = try #require(try await Self.phoneRows(client).last)
            #expect(row.state == .pending && row.attempts == 1 && row.lastError?.contains("gateway busy") == true, "\(row)")
            var now = Timestamp.nowMillis()
            for _ in 0..<2 {
                now += 70_000
                #expect(await relay.deliverDue(now: now) == 1)
            }
            row = try #require(try await Self.phoneRows(client).last)
            #expect(row.state == .delivered && row.attempts == 3, "\(row)")
            #expect(try await Self.cache(client, "n:+15555550198") == "3")
            let retriedCode = try #require(try await Self.cache(client, "code:+15555550198"))
            _ = try await mfa.confirmPhoneEnrollment(
                userID: retried, enrollmentID: try await Self.pendingEnrollment(client, retried), code: retriedCode)

            // Drop (the last call wins over the retry before it): dead at once, not retried, code gone.
            let dropped = try await Self.enrol(client, fixtures, email: "drop@example.com", number: "+15555550199")
            await relay.waitUntilIdle()
            row = try #require(try await Self.phoneRows(client).last)
            #expect(row.state == .dead && row.attempts == 1, "\(row)")
            #expect(row.lastError?.contains("dropped the message") == true && row.lastError?.contains("number unreachable") == true)
            #expect(await relay.deliverDue(now: Timestamp.nowMillis() + 3_600_000) == 0)
            #expect(try await Self.cache(client, "n:+15555550199") == "1")
            let droppedCode = try #require(try await Self.cache(client, "code:+15555550199"))
            await MultifactorTests.expectRefusal(.invalidCode) {
                _ = try await mfa.confirmPhoneEnrollment(
                    userID: dropped, enrollmentID: try await Self.pendingEnrollment(client, dropped), code: droppedCode)
            }

            // An action that always throws: six attempts, then dead, and the code no longer works.
            let failing = try await Self.enrol(client, fixtures, email: "throw@example.com", number: "+15555550197")
            await relay.waitUntilIdle()
            now = Timestamp.nowMillis()
            for _ in 1..<PhoneProviderService.retryPolicy.maxAttempts {
                now += 70_000
                #expect(await relay.deliverDue(now: now) == 1)
            }
            row = try #require(try await Self.phoneRows(client).last)
            #expect(row.state == .dead && row.attempts == 6 && row.lastError?.contains("gateway exploded") == true, "\(row)")
            // (A failed action's cache writes are not kept, so the code is checked in the store.)
            let failingPhone = try await Self.pendingEnrollment(client, failing)
            #expect(try await client.server.services.storage.read { try await $0.multifactor.code(enrollmentID: failingPhone) } == nil)
        }
    }

    @Test("attack: a caller cannot make the provider send a code to a number that is not the user's")
    func recipientIsAlwaysTheUsers() async throws {
        try await TestServer.run { client in
            let setup = try await MultifactorAPITests.setUp(client, factors: ["sms", "recovery-code"])
            let app = setup.app
            _ = try await Self.createCustomProvider(setup.fixtures)
            try await setup.fixtures.bind([.init(name: "sms-gateway", code: Self.action)], to: "custom-phone-provider", version: "v1")
            let mfa = client.server.services.multifactor
            // Jane's phone, confirmed.
            let origin = SendPhoneMessage.Origin(
                client: nil, request: ActionEventRequest(ip: "203.0.113.7", method: "POST", hostname: nil, userAgent: nil, language: nil),
                configurationVersion: try await client.server.services.storage.read { try await $0.tenant.configurationVersion() })
            let pending = try await mfa.startPhoneEnrollment(userID: setup.userID, phoneNumber: "+15555550100", origin: origin)
            await client.server.services.outbox.waitUntilIdle()
            _ = try await mfa.confirmPhoneEnrollment(
                userID: setup.userID, enrollmentID: pending.id, code: try #require(try await Self.cache(client, "code:+15555550100")))
            // Another user's phone, confirmed.
            let other = try await Self.enrol(client, setup.fixtures, email: "other@example.com", number: "+15555550177")
            await client.server.services.outbox.waitUntilIdle()
            let otherPhone = try await Self.pendingEnrollment(client, other)
            _ = try await mfa.confirmPhoneEnrollment(
                userID: other, enrollmentID: otherPhone, code: try #require(try await Self.cache(client, "code:+15555550177")))
            let attackerNumber = "+15555550666"

            let mfaToken = try await MultifactorAPITests.login(client, app)
            // A second phone for Jane, at the attacker's number: refused.
            let associate = try await MultifactorAPITests.bearer(
                client, .post, "/mfa/associate", mfaToken,
                .object(["authenticator_types": .array(["oob"]), "oob_channels": .array(["sms"]), "phone_number": .string(attackerNumber)]))
            #expect(associate.status != .ok, "\(associate.text)")
            // The other user's phone, by its authenticator id, with Jane's mfa_token: refused.
            let foreign = try await MultifactorAPITests.challenge(
                client, app, ["mfa_token": mfaToken, "challenge_type": "oob", "authenticator_id": "sms|dev_\(otherPhone)"])
            #expect(foreign.status != .ok, "\(foreign.text)")
            // A phone number in the challenge is not a recipient: the code goes to Jane's phone.
            let listed = try await MultifactorAPITests.bearer(client, .get, "/mfa/authenticators", mfaToken)
            let janePhone = try #require(listed.json.arrayValue?.first { $0["authenticator_type"] == "oob" }?["id"]?.stringValue)
            let challenged = try await MultifactorAPITests.challenge(
                client, app,
                ["mfa_token": mfaToken, "challenge_type": "oob", "authenticator_id": janePhone, "phone_number": attackerNumber])
            #expect(challenged.status == .ok, "\(challenged.text)")
            await client.server.services.outbox.waitUntilIdle()
            #expect(try await Self.last(client)["notification"]?["recipient"] == "+15555550100")
            #expect(try await Self.cache(client, "n:\(attackerNumber)") == nil)
            #expect(try await Self.cache(client, "n:+15555550177") == "1")
            let recipients = try await Self.phoneRows(client).compactMap { $0.payload["recipient"]?.stringValue }
            #expect(Set(recipients) == ["+15555550100", "+15555550177"], "\(recipients)")
        }
    }

    @Test("an enabled twilio provider says this server cannot reach it; a disabled provider leaves Guardian's provider in charge")
    func twilioAndDisabled() async throws {
        try await TestServer.run { client in
            let setup = try await MultifactorAPITests.setUp(client, factors: ["sms", "recovery-code"])
            let created = try await client.json(
                .post, PhoneProviderAPITests.path,
                .object([
                    "name": "twilio", "configuration": .object(["sid": "AC1", "delivery_methods": .array(["text"])]),
                    "credentials": .object(["auth_token": "tw-token"]),
                ]), token: setup.fixtures.token)
            let id = try #require(created.json["id"]?.stringValue)
            let associate: JSONValue = .object([
                "authenticator_types": .array(["oob"]), "oob_channels": .array(["sms"]), "phone_number": "+15555550100",
            ])
            let twilio = try await MultifactorAPITests.bearer(
                client, .post, "/mfa/associate", try await MultifactorAPITests.login(client, setup.app), associate)
            MultifactorAPITests.expectError(twilio, .badRequest, "invalid_request")
            #expect(twilio.json["error_description"]?.stringValue?.contains("'twilio', which this server cannot reach") == true)
            #expect(!twilio.text.contains("tw-token"))
            _ = try await client.json(
                .patch, "\(PhoneProviderAPITests.path)/\(id)", .object(["disabled": true]), token: setup.fixtures.token)
            let guardian = try await MultifactorAPITests.bearer(
                client, .post, "/mfa/associate", try await MultifactorAPITests.login(client, setup.app), associate)
            MultifactorAPITests.expectError(guardian, .badRequest, "invalid_request")
            #expect(guardian.json["error_description"]?.stringValue?.contains("phone factor's provider") == true, "\(guardian.text)")
        }
    }
}
