import Crypto
import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Testing

@Suite("MFA: factors, TOTP, recovery codes, SMS through send-phone-message, remembered browsers") struct MultifactorTests {
    static func enable(_ fixtures: Fixtures, _ factors: [String]) async throws {
        for factor in factors {
            let reply = try await fixtures.client.json(
                .put, "/api/v2/guardian/factors/\(factor)", .object(["enabled": true]), token: fixtures.token)
            #expect(reply.status == .ok, "\(reply.text)")
        }
    }

    static func expectRefusal(_ code: MultifactorError.Code, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code.rawValue), but it succeeded")
        } catch let error as MultifactorError {
            #expect(error.code == code, "\(error)")
        } catch {
            Issue.record("expected \(code.rawValue), got \(error)")
        }
    }

    @Test("TOTP: enrol with a QR-able URI, confirm with a first code (one recovery code), ±1 step, no replay")
    func totp() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            let mfa = client.server.services.multifactor
            await Self.expectRefusal(.factorNotEnabled) { _ = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane") }
            try await Self.enable(fixtures, ["otp", "recovery-code"])

            let start = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane@example.com")
            #expect(start.uri.hasPrefix("otpauth://totp/localhost:jane@example.com?secret=\(start.secret)"), "\(start.uri)")
            #expect(start.uri.contains("issuer=localhost"))
            #expect(AuthenticatorApp.base32Decode(start.secret).count == 32)
            let pending = try #require(try await mfa.enrollments(userID: userID))
            #expect(pending.map(\.status) == [.pending] && pending.first?.id == start.enrollmentID)
            #expect(MultifactorService.eventFields(pending)["multifactor"] == .array([]))

            let now = Timestamp.nowMillis()
            let code = AuthenticatorApp.code(secret: start.secret, at: now)
            let wrong = String(format: "%06d", (Int(code)! + 1) % 1_000_000)
            await Self.expectRefusal(.invalidCode) {
                _ = try await mfa.confirmTOTPEnrollment(userID: userID, enrollmentID: start.enrollmentID, code: wrong, now: now)
            }
            await Self.expectRefusal(.enrollmentNotFound) {
                _ = try await mfa.confirmTOTPEnrollment(
                    userID: "auth0|someone-else", enrollmentID: start.enrollmentID, code: code, now: now)
            }
            let confirmation = try await mfa.confirmTOTPEnrollment(
                userID: userID, enrollmentID: start.enrollmentID, code: code, now: now)
            #expect(confirmation.enrollment.status == .confirmed)
            let recovery = try #require(confirmation.recoveryCode)
            #expect(recovery.count == 24)
            await Self.expectRefusal(.alreadyEnrolled) { _ = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane") }

            // The code that confirmed cannot be used again, even within its 30 seconds.
            await Self.expectRefusal(.codeReused) { try await mfa.verifyTOTP(userID: userID, code: code, now: now) }
            // The next step's code works (clock drift of one step), and then no code of an earlier step.
            try await mfa.verifyTOTP(userID: userID, code: AuthenticatorApp.code(secret: start.secret, at: now + 30_000), now: now)
            await Self.expectRefusal(.codeReused) {
                try await mfa.verifyTOTP(userID: userID, code: AuthenticatorApp.code(secret: start.secret, at: now), now: now + 30_000)
            }
            // Two steps away is too far.
            await Self.expectRefusal(.invalidCode) {
                try await mfa.verifyTOTP(
                    userID: userID, code: AuthenticatorApp.code(secret: start.secret, at: now + 150_000), now: now + 60_000)
            }
            try await mfa.verifyTOTP(
                userID: userID, code: AuthenticatorApp.code(secret: start.secret, at: now + 90_000), now: now + 120_000)

            let enrolled = try #require(try await mfa.enrollments(userID: userID))
            #expect(enrolled.map(\.kind) == [.totp, .recoveryCode])
            #expect(
                MultifactorService.eventFields(enrolled) == [
                    "multifactor": .array(["guardian"]), "enrolledFactors": .array([.object(["type": "otp"])]),
                ])

            // The recovery code works once and is replaced; formatting is forgiven.
            let used = try await mfa.verifyRecoveryCode(userID: userID, code: recovery.lowercased().enumerated().map { "\($1)" }.joined())
            #expect(used.newRecoveryCode != recovery && used.newRecoveryCode.count == 24)
            await Self.expectRefusal(.invalidCode) { _ = try await mfa.verifyRecoveryCode(userID: userID, code: recovery) }
            _ = try await mfa.verifyRecoveryCode(
                userID: userID, code: String(used.newRecoveryCode.prefix(12)) + "-" + used.newRecoveryCode.dropFirst(12))
        }
    }

    @Test("wrong codes count per user: past the limit even a right code waits; a right code does not count")
    func bruteForce() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            try await Self.enable(fixtures, ["otp"])
            let services = client.server.services
            let mfa = MultifactorService(
                storage: services.storage, issuerName: "localhost", phoneMessages: nil, logger: services.logger, attemptLimit: 3)
            let start = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane")
            let now = Timestamp.nowMillis()
            _ = try await mfa.confirmTOTPEnrollment(
                userID: userID, enrollmentID: start.enrollmentID, code: AuthenticatorApp.code(secret: start.secret, at: now), now: now)
            // Right codes give their attempt back: many in a row never reach the limit.
            for step in 1...4 {
                let at = now + EpochMillis(step) * 30_000
                try await mfa.verifyTOTP(userID: userID, code: AuthenticatorApp.code(secret: start.secret, at: at), now: at)
            }
            let at = now + 150_000
            for _ in 0..<3 { await Self.expectRefusal(.invalidCode) { try await mfa.verifyTOTP(userID: userID, code: "000000x", now: at) } }
            await Self.expectRefusal(.tooManyAttempts) {
                try await mfa.verifyTOTP(userID: userID, code: AuthenticatorApp.code(secret: start.secret, at: at), now: at)
            }
            // The bucket refills: one attempt every 6 minutes.
            try await mfa.verifyTOTP(userID: userID, code: AuthenticatorApp.code(secret: start.secret, at: at + 360_000), now: at + 360_000)
        }
    }

    @Test("api.multifactor.enable and api.authentication selectors: enabled factors, OTP first; Duo refused; others not enabled")
    func selection() {
        let settings = GuardianFactorSettings(enabled: ["sms", "recovery-code", "otp"], phoneProvider: "phone-message-hook")
        for provider in ["any", "guardian", "google-authenticator"] {
            #expect(MultifactorSelection.forProvider(provider, settings: settings) == .factors([.otp, .phone, .recoveryCode]))
        }
        #expect(MultifactorSelection.forProvider("none", settings: settings) == .none)
        #expect(MultifactorSelection.forProvider("any", settings: GuardianFactorSettings()) == .factors([]))
        guard case .unsupported(let message) = MultifactorSelection.forProvider("duo", settings: settings) else {
            Issue.record("duo must be unsupported")
            return
        }
        #expect(message.contains("Duo") && message.contains("not supported"))
        let onlyOTP = GuardianFactorSettings(enabled: ["otp"])
        #expect(
            MultifactorSelection.enrollable(["webauthn-platform", "phone", "email", "otp", "push-notification", "otp"], settings: onlyOTP)
                == [.otp])
        let phone = MultifactorEnrollmentRecord(
            id: "dev_1", user_id: "u", kind: .phone, status: .confirmed, phone_number: "+15555550100", created_at: 0)
        let pendingTOTP = MultifactorEnrollmentRecord(id: "dev_2", user_id: "u", kind: .totp, status: .pending, created_at: 0)
        #expect(MultifactorSelection.challengeable(["otp", "phone"], settings: settings, enrollments: [phone, pendingTOTP]) == [.phone])
        #expect(MultifactorSelection.challengeable(["webauthn-roaming", "email"], settings: settings, enrollments: [phone]) == [])
    }

    static let recorder = """
        exports.onExecuteSendPhoneMessage = async (event, api) => {
          api.cache.set('last', JSON.stringify({
            options: event.message_options, user: event.user.user_id, email: event.user.email,
            factors: event.user.enrolledFactors, client: event.client && event.client.client_id,
            ip: event.request.ip, tenant: event.tenant.id, keys: Object.keys(event).sort(),
          }));
        };
        """

    static func lastMessage(_ client: TestClient) async throws -> JSONValue {
        let entries = try await client.server.services.storage.read {
            try await $0.actionCache.entries(trigger: SendPhoneMessage.trigger, now: Timestamp.nowMillis())
        }
        let text = try #require(entries.first { $0.key == "last" }?.value)
        return try #require(JSONValue(jsonText: text))
    }

    @Test("SMS: the provider chooses the path; a bound send-phone-message action receives Auth0's event and delivers the code")
    func phone() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            let app = try await fixtures.createApp()
            let appRecord = try await client.server.services.storage.read { try await $0.clients.get(app.id) }
            let origin = SendPhoneMessage.Origin(
                client: appRecord,
                request: ActionEventRequest(ip: "203.0.113.7", method: "POST", hostname: "localhost", userAgent: "test", language: nil),
                configurationVersion: try await client.server.services.storage.read { try await $0.tenant.configurationVersion() })
            let mfa = client.server.services.multifactor
            await Self.expectRefusal(.factorNotEnabled) {
                _ = try await mfa.startPhoneEnrollment(userID: userID, phoneNumber: "+15555550100", origin: origin)
            }
            try await Self.enable(fixtures, ["sms", "recovery-code"])
            await Self.expectRefusal(.invalidPhoneNumber) {
                _ = try await mfa.startPhoneEnrollment(userID: userID, phoneNumber: "555-0100", origin: origin)
            }
            // Auth0's default provider cannot deliver here; nothing is left pending.
            await Self.expectRefusal(.providerNotConfigured) {
                _ = try await mfa.startPhoneEnrollment(userID: userID, phoneNumber: "+15555550100", origin: origin)
            }
            #expect(try await mfa.enrollments(userID: userID) == [])
            let provider = try await client.json(
                .put, "/api/v2/guardian/factors/phone/selected-provider", .object(["provider": "phone-message-hook"]),
                token: fixtures.token)
            #expect(provider.status == .ok && provider.json["provider"] == "phone-message-hook", "\(provider.text)")
            do {
                _ = try await mfa.startPhoneEnrollment(userID: userID, phoneNumber: "+15555550100", origin: origin)
                Issue.record("no action is bound: the code cannot have been sent")
            } catch let error as MultifactorError {
                #expect(error.code == .deliveryFailed && error.message.contains("no action is bound"), "\(error)")
            }

            try await fixtures.bind([.init(name: "sms-gateway", code: Self.recorder)], to: "send-phone-message", version: "v2")
            let origin2 = SendPhoneMessage.Origin(
                client: origin.client, request: origin.request,
                configurationVersion: try await client.server.services.storage.read { try await $0.tenant.configurationVersion() })
            let pending = try await mfa.startPhoneEnrollment(userID: userID, phoneNumber: "+1 555 555 0100", origin: origin2)
            #expect(pending.phone_number == "+15555550100" && pending.status == .pending)
            let sent = try await Self.lastMessage(client)
            let options = try #require(sent["options"]?.objectValue)
            #expect(options["action"] == "enrollment" && options["message_type"] == "sms" && options["recipient"] == "+15555550100")
            let code = try #require(options["code"]?.stringValue)
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
            #expect(options["text"]?.stringValue?.hasPrefix("\(code) is your verification code for localhost") == true)
            #expect(sent["user"] == .string(userID) && sent["email"] == "jane@example.com" && sent["client"] == .string(app.id))
            #expect(sent["ip"] == "203.0.113.7" && sent["tenant"] == "localhost")
            // The event has the sample event's top-level members (`auth0-actions.md` §2.7).
            let sample = (try SampleEventsFile.keys("send-phone-message") + ["secrets"]).sorted()  // secrets: added per action
            #expect(sent["keys"] == .array(sample.map(JSONValue.string)), "\(sent["keys"] ?? .null) vs \(sample)")

            let wrong = code == "000000" ? "000001" : "000000"
            await Self.expectRefusal(.invalidCode) {
                _ = try await mfa.confirmPhoneEnrollment(userID: userID, enrollmentID: pending.id, code: wrong)
            }
            let confirmed = try await mfa.confirmPhoneEnrollment(userID: userID, enrollmentID: pending.id, code: code)
            #expect(confirmed.recoveryCode != nil)
            await Self.expectRefusal(.enrollmentNotFound) {
                _ = try await mfa.confirmPhoneEnrollment(userID: userID, enrollmentID: pending.id, code: code)
            }

            // A login challenge: the code goes out with action second-factor-authentication and
            // the user's factors; it works once; five wrong guesses end it.
            try await mfa.sendPhoneChallenge(userID: userID, origin: origin2)
            let challenge = try await Self.lastMessage(client)
            #expect(challenge["options"]?["action"] == "second-factor-authentication")
            #expect(challenge["factors"] == .array([.object(["type": "phone", "options": .object(["preferredMethod": "sms"])])]))
            let loginCode = try #require(challenge["options"]?["code"]?.stringValue)
            try await mfa.verifyPhoneCode(userID: userID, code: loginCode)
            await Self.expectRefusal(.invalidCode) { try await mfa.verifyPhoneCode(userID: userID, code: loginCode) }
            try await mfa.sendPhoneChallenge(userID: userID, origin: origin2)
            let third = try #require(try await Self.lastMessage(client)["options"]?["code"]?.stringValue)
            let other = third == "111111" ? "222222" : "111111"
            for _ in 0..<MultifactorService.phoneCodeAttempts {
                await Self.expectRefusal(.invalidCode) { try await mfa.verifyPhoneCode(userID: userID, code: other) }
            }
            await Self.expectRefusal(.invalidCode) { try await mfa.verifyPhoneCode(userID: userID, code: third) }
        }
    }

    @Test("SMS: an action that throws means the code was not sent, with a message the page can show")
    func phoneDeliveryFails() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            try await Self.enable(fixtures, ["sms"])
            _ = try await client.json(
                .put, "/api/v2/guardian/factors/phone/selected-provider", .object(["provider": "phone-message-hook"]),
                token: fixtures.token)
            let failing = """
                exports.onExecuteSendPhoneMessage = async (event, api) => { throw new Error('gateway said 502'); };
                """
            try await fixtures.bind([.init(name: "broken-gateway", code: failing)], to: "send-phone-message", version: "v2")
            let origin = SendPhoneMessage.Origin(
                client: nil, request: ActionEventRequest(ip: "203.0.113.7", method: "POST", hostname: nil, userAgent: nil, language: nil),
                configurationVersion: try await client.server.services.storage.read { try await $0.tenant.configurationVersion() })
            do {
                _ = try await client.server.services.multifactor.startPhoneEnrollment(
                    userID: userID, phoneNumber: "+15555550100", origin: origin)
                Issue.record("the action threw: the enrolment must fail")
            } catch let error as MultifactorError {
                #expect(error.code == .deliveryFailed)
                #expect(error.message.contains("could not be sent") && error.message.contains("broken-gateway"))
                #expect(!error.message.contains("502"), "the action's own error stays in its execution record")
            }
            #expect(try await client.server.services.multifactor.enrollments(userID: userID) == [])
        }
    }

    @Test("remember this browser: only the token's digest is kept; invalidation forgets every browser of the user")
    func rememberBrowser() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            let mfa = client.server.services.multifactor
            let token = try await mfa.rememberBrowser(userID: userID)
            #expect(try await mfa.isBrowserRemembered(userID: userID, token: token))
            #expect(try await mfa.isBrowserRemembered(userID: "auth0|other", token: token) == false)
            #expect(try await mfa.isBrowserRemembered(userID: userID, token: token + "x") == false)
            #expect(try await mfa.isBrowserRemembered(userID: userID, token: nil) == false)
            let expired = try await mfa.rememberBrowser(userID: userID, lifetime: 1_000, now: 0)
            #expect(try await mfa.isBrowserRemembered(userID: userID, token: expired) == false)
            let reply = try await client.json(
                .post, "/api/v2/users/\(userID)/multifactor/actions/invalidate-remember-browser", token: fixtures.token)
            #expect(reply.status == .noContent, "\(reply.text)")
            #expect(try await mfa.isBrowserRemembered(userID: userID, token: token) == false)

            // Deleting the user deletes their authenticators and remembered browsers.
            let kept = try await mfa.rememberBrowser(userID: userID)
            _ = try await mfa.regenerateRecoveryCode(userID: userID)
            let deleted = try await client.json(.delete, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(deleted.status == .noContent)
            #expect(try await mfa.isBrowserRemembered(userID: userID, token: kept) == false)
            #expect(try await client.server.services.storage.read { try await $0.multifactor.enrollments(userID: userID) } == [])
        }
    }
}

/// The bundled sample events, read as the catalog ships them.
enum SampleEventsFile {
    static func keys(_ trigger: String) throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/GatehouseSandbox/CatalogData/sample-events.json")
        let document = try #require(JSONValue(jsonText: try String(contentsOf: url, encoding: .utf8)))
        return try #require(document[trigger]?.objectValue).keys.sorted()
    }
}
