import Foundation
import GatehouseCore
import GatehouseStorage
import HTTPTypes
import Testing

@testable import GatehouseIdentity

/// Auth0's MFA API for back-channel logins: a password-realm login that an action sends to MFA
/// answers `mfa_required`; `/mfa/authenticators`, `/mfa/associate`, `/mfa/challenge` and the
/// `mfa-otp` / `mfa-oob` / `mfa-recovery-code` grants finish it. TOTP codes come from the tests'
/// own RFC 6238 (`AuthenticatorApp`), SMS codes from a real `send-phone-message` action.
@Suite("MFA API: authenticators, associate, challenge and the mfa grants") struct MultifactorAPITests {
    static let realm = "http://auth0.com/oauth/grant-type/password-realm"
    static let requireMFA = Fixtures.BoundCode(
        name: "require-mfa", code: "exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable('any') };")

    struct Setup {
        let fixtures: Fixtures
        let app: Fixtures.App
        let userID: String
    }

    /// A user, an application allowed the MFA grants, the factors enabled, and the action bound.
    static func setUp(_ client: TestClient, factors: [String] = ["otp", "recovery-code"]) async throws -> Setup {
        let fixtures = try await Fixtures.make(client)
        let userID = try await fixtures.createUser()
        let app = try await fixtures.createApp(grantTypes: ["password", realm, "refresh_token"] + MultifactorAPI.grantTypes)
        try await MultifactorTests.enable(fixtures, factors)
        try await fixtures.bind([requireMFA], to: "post-login", version: "v3")
        return Setup(fixtures: fixtures, app: app, userID: userID)
    }

    /// A password-realm login that needs MFA: its `mfa_token`.
    static func login(_ client: TestClient, _ app: Fixtures.App) async throws -> String {
        let reply = try await client.form(
            "/oauth/token",
            [
                "grant_type": realm, "realm": "Username-Password-Authentication", "username": "jane@example.com",
                "password": "correct-horse-battery", "scope": "openid profile", "client_id": app.id, "client_secret": app.secret ?? "",
            ])
        #expect(reply.status == .forbidden, "\(reply.text)")
        #expect(reply.json["error"] == "mfa_required" && reply.json["error_description"] == "Multifactor authentication required")
        return try #require(reply.json["mfa_token"]?.stringValue)
    }

    /// An `/oauth/token` request of `app` with `fields`.
    static func token(_ client: TestClient, _ app: Fixtures.App, _ fields: [String: String]) async throws -> TestClient.Reply {
        var form = fields
        form["client_id"] = app.id
        form["client_secret"] = app.secret
        return try await client.form("/oauth/token", form)
    }

    static func otp(_ client: TestClient, _ app: Fixtures.App, _ mfaToken: String, _ code: String) async throws -> TestClient.Reply {
        try await token(client, app, ["grant_type": MultifactorAPI.otpGrantType, "mfa_token": mfaToken, "otp": code])
    }

    /// A request to the MFA API with `Authorization: Bearer <mfa_token>`.
    static func bearer(
        _ client: TestClient, _ method: HTTPRequest.Method, _ path: String, _ mfaToken: String, _ body: JSONValue? = nil
    ) async throws -> TestClient.Reply {
        try await client.json(method, path, body, token: mfaToken)
    }

    static func challenge(_ client: TestClient, _ app: Fixtures.App, _ fields: [String: String]) async throws -> TestClient.Reply {
        var body: [String: JSONValue] = ["client_id": .string(app.id), "client_secret": .string(app.secret ?? "")]
        for (key, value) in fields { body[key] = .string(value) }
        return try await client.json(.post, "/mfa/challenge", .object(body))
    }

    static func expectError(_ reply: TestClient.Reply, _ status: HTTPResponse.Status, _ error: String, _ description: String? = nil) {
        #expect(reply.status == status, "\(reply.status) \(reply.text)")
        #expect(reply.json["error"]?.stringValue == error, "\(reply.text)")
        if let description { #expect(reply.json["error_description"]?.stringValue == description, "\(reply.text)") }
    }

    /// Element `index` of a JSON array, or `null`.
    static func item(_ json: JSONValue, _ index: Int) -> JSONValue {
        let array = json.arrayValue ?? []
        return index < array.count ? array[index] : .null
    }

    /// Another code than `code`.
    static func wrong(_ code: String) -> String { String(format: "%06d", (Int(code)! + 1) % 1_000_000) }

    @Test("OTP: associate (secret, barcode_uri, recovery code), mfa-otp confirms and issues amr mfa; then challenge; then recovery code")
    func otpJourney() async throws {
        try await TestServer.run { client in
            let setup = try await Self.setUp(client)
            let app = setup.app
            let discovery = try await client.request(.get, "/.well-known/openid-configuration").json
            let supported = discovery["grant_types_supported"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(MultifactorAPI.grantTypes.allSatisfy(supported.contains), "\(supported)")

            // A first login: nothing enrolled, so the client associates an authenticator app.
            let first = try await Self.login(client, app)
            let empty = try await Self.bearer(client, .get, "/mfa/authenticators", first)
            #expect(empty.status == .ok && empty.json == .array([]), "\(empty.text)")
            let challengeFirst = try await Self.challenge(client, app, ["mfa_token": first])
            Self.expectError(challengeFirst, .badRequest, "unsupported_challenge_type", "User is not enrolled.")
            let associated = try await Self.bearer(
                client, .post, "/mfa/associate", first, .object(["authenticator_types": .array(["otp"])]))
            #expect(associated.status == .ok, "\(associated.text)")
            #expect(associated.json["authenticator_type"] == "otp")
            let secret = try #require(associated.json["secret"]?.stringValue)
            let uri = try #require(associated.json["barcode_uri"]?.stringValue)
            #expect(uri.hasPrefix("otpauth://totp/") && uri.contains("secret=\(secret)"), "\(uri)")
            let recoveryCodes = associated.json["recovery_codes"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(recoveryCodes.count == 1 && recoveryCodes[0].count == 24, "\(associated.text)")
            let recovery = recoveryCodes.first ?? ""
            let listed = try await Self.bearer(client, .get, "/mfa/authenticators", first)
            #expect(
                Self.item(listed.json, 0)["authenticator_type"] == "otp" && Self.item(listed.json, 0)["active"] == false, "\(listed.text)")
            #expect(Self.item(listed.json, 0)["id"]?.stringValue?.hasPrefix("totp|dev_") == true)

            let now = Timestamp.nowMillis()
            let code = AuthenticatorApp.code(secret: secret, at: now)
            Self.expectError(try await Self.otp(client, app, first, Self.wrong(code)), .forbidden, "invalid_grant", "Invalid otp_code.")
            let missing = try await Self.token(client, app, ["grant_type": MultifactorAPI.otpGrantType, "mfa_token": first])
            Self.expectError(missing, .badRequest, "invalid_request", "Missing required parameter: otp")
            let tokens = try await Self.otp(client, app, first, code)
            #expect(tokens.status == .ok, "\(tokens.text)")
            #expect(jwtClaims(try #require(tokens.json["id_token"]?.stringValue))["amr"] == .array(["mfa"]))
            #expect(tokens.json["recovery_code"] == nil, "the recovery code was shown at association")

            // The mfa_token worked once.
            Self.expectError(try await Self.otp(client, app, first, code), .forbidden, "invalid_grant")
            Self.expectError(try await Self.bearer(client, .get, "/mfa/authenticators", first), .forbidden, "invalid_grant")

            // A second login: the user has an app and a recovery code; the client challenges.
            let second = try await Self.login(client, app)
            let both = try await Self.bearer(client, .get, "/mfa/authenticators", second)
            let types = both.json.arrayValue?.compactMap { $0["authenticator_type"]?.stringValue }
            #expect(
                types == ["otp", "recovery-code"] && Self.item(both.json, 0)["active"] == true && Self.item(both.json, 1)["active"] == true,
                "\(both.text)")
            #expect(Self.item(both.json, 1)["id"]?.stringValue?.hasPrefix("recovery-code|dev_") == true)
            let again = try await Self.bearer(client, .post, "/mfa/associate", second, .object(["authenticator_types": .array(["otp"])]))
            Self.expectError(again, .forbidden, "access_denied", "User is already enrolled.")
            let challenged = try await Self.challenge(
                client, app,
                ["mfa_token": second, "challenge_type": "otp oob", "authenticator_id": Self.item(both.json, 0)["id"]?.stringValue ?? ""])
            #expect(challenged.status == .ok && challenged.json == .object(["challenge_type": "otp"]), "\(challenged.text)")
            // The confirming code cannot be used again; the next step's can.
            Self.expectError(try await Self.otp(client, app, second, code), .forbidden, "invalid_grant", "Invalid otp_code.")
            let next = try await Self.otp(client, app, second, AuthenticatorApp.code(secret: secret, at: now + 30_000))
            #expect(next.status == .ok, "\(next.text)")
            #expect(jwtClaims(try #require(next.json["id_token"]?.stringValue))["amr"] == .array(["mfa"]))

            // A third login with the recovery code: a new one comes back, the old one is spent.
            let third = try await Self.login(client, app)
            let recovered = try await Self.token(
                client, app, ["grant_type": MultifactorAPI.recoveryCodeGrantType, "mfa_token": third, "recovery_code": recovery])
            #expect(recovered.status == .ok, "\(recovered.text)")
            let renewed = try #require(recovered.json["recovery_code"]?.stringValue)
            #expect(renewed.count == 24 && renewed != recovery)
            let fourth = try await Self.login(client, app)
            let spent = try await Self.token(
                client, app, ["grant_type": MultifactorAPI.recoveryCodeGrantType, "mfa_token": fourth, "recovery_code": recovery])
            Self.expectError(spent, .forbidden, "invalid_grant", "Invalid recovery_code.")
            let fresh = try await Self.token(
                client, app, ["grant_type": MultifactorAPI.recoveryCodeGrantType, "mfa_token": fourth, "recovery_code": renewed])
            #expect(fresh.status == .ok && fresh.json["recovery_code"]?.stringValue != renewed, "\(fresh.text)")
        }
    }

    /// Enrols the user's authenticator app through the API; returns its secret and the time the
    /// confirming code was computed for.
    static func enrolApp(_ client: TestClient, _ app: Fixtures.App) async throws -> (secret: String, at: EpochMillis) {
        let mfaToken = try await login(client, app)
        let associated = try await bearer(client, .post, "/mfa/associate", mfaToken, .object(["authenticator_types": .array(["otp"])]))
        let secret = try #require(associated.json["secret"]?.stringValue)
        let now = Timestamp.nowMillis()
        let confirmed = try await otp(client, app, mfaToken, AuthenticatorApp.code(secret: secret, at: now))
        #expect(confirmed.status == .ok, "\(confirmed.text)")
        return (secret, now)
    }

    @Test("attacks: another client's mfa_token, a wrong token, a client without the MFA grants, concurrent grants with right codes")
    func attacks() async throws {
        try await TestServer.run { client in
            let setup = try await Self.setUp(client)
            let app = setup.app
            let (secret, enrolledAt) = try await Self.enrolApp(client, app)
            let other = try await setup.fixtures.createApp(
                name: "Other", grantTypes: ["password", Self.realm] + MultifactorAPI.grantTypes)
            let mfaToken = try await Self.login(client, app)
            let code = AuthenticatorApp.code(secret: secret, at: enrolledAt + 30_000)

            // Another client cannot use the token, at the grant or at /mfa/challenge, and does
            // not use it up.
            Self.expectError(
                try await Self.otp(client, other, mfaToken, code), .forbidden, "invalid_grant", "mfa_token not issued to this client")
            Self.expectError(
                try await Self.challenge(client, other, ["mfa_token": mfaToken]), .forbidden, "invalid_grant",
                "mfa_token not issued to this client")
            // A token that names nothing; a missing one; no Bearer at all.
            Self.expectError(try await Self.otp(client, app, "not-a-token", code), .forbidden, "invalid_grant", "Malformed mfa_token")
            Self.expectError(
                try await Self.token(client, app, ["grant_type": MultifactorAPI.otpGrantType, "otp": code]), .badRequest,
                "invalid_request", "Missing required parameter: mfa_token")
            Self.expectError(try await client.request(.get, "/mfa/authenticators"), .unauthorized, "invalid_token")
            // The client's own secret is still required.
            let unauthenticated = try await client.form(
                "/oauth/token",
                ["grant_type": MultifactorAPI.otpGrantType, "mfa_token": mfaToken, "otp": code, "client_id": app.id])
            Self.expectError(unauthenticated, .unauthorized, "invalid_client")

            // Concurrent grants with the same right code, and with two right codes of different
            // steps: exactly one gets tokens.
            let codes = [code, code, code, AuthenticatorApp.code(secret: secret, at: enrolledAt + 60_000)]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for each in codes { group.addTask { try await Self.otp(client, app, mfaToken, each).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == .ok || $0 == .forbidden }, "\(statuses)")

            // An application without the MFA grant types cannot use the API or the grants.
            let plain = try await setup.fixtures.createApp(name: "Plain", grantTypes: ["password", Self.realm])
            let plainToken = try await Self.login(client, plain)
            Self.expectError(try await Self.bearer(client, .get, "/mfa/authenticators", plainToken), .forbidden, "unauthorized_client")
            Self.expectError(try await Self.otp(client, plain, plainToken, code), .forbidden, "unauthorized_client")

            // The expired token's answer, as Auth0's SDKs recognise it.
            let expired = MultifactorAPI.oauthError(LoginCompletion.ResumeFailure.expired)
            #expect(expired.code == .expiredToken && expired.description == "mfa_token is expired" && expired.statusCode == 403)
            // The grant's bearer token and codes never reach an action's event.request.body.
            let body = ActionEventRequest(
                ip: "203.0.113.7", method: "POST", hostname: nil, userAgent: nil, language: nil,
                body: ["mfa_token": "t", "otp": "1", "oob_code": "o", "binding_code": "2", "recovery_code": "r", "scope": "openid"]
            ).body
            #expect(body == ["scope": "openid"])
        }
    }

    @Test("wrong codes at the grant count towards the user's bucket: past 10, even a right code gets 429 too_many_attempts")
    func bruteForce() async throws {
        try await TestServer.run { client in
            let setup = try await Self.setUp(client)
            let (secret, enrolledAt) = try await Self.enrolApp(client, setup.app)
            let mfaToken = try await Self.login(client, setup.app)
            let right = AuthenticatorApp.code(secret: secret, at: enrolledAt + 30_000)
            for _ in 0..<10 {
                Self.expectError(try await Self.otp(client, setup.app, mfaToken, Self.wrong(right)), .forbidden, "invalid_grant")
            }
            let paused = try await Self.otp(client, setup.app, mfaToken, right)
            Self.expectError(paused, .tooManyRequests, "too_many_attempts")
            #expect(paused.headers[.retryAfter] == "360")
            // The bucket is the user's: a new login does not reset it.
            let another = try await Self.login(client, setup.app)
            Self.expectError(try await Self.otp(client, setup.app, another, right), .tooManyRequests, "too_many_attempts")
        }
    }

    @Test("SMS: associate oob sends a code, mfa-oob with oob_code and binding_code confirms; a challenge by authenticator_id")
    func sms() async throws {
        try await TestServer.run { client in
            let setup = try await Self.setUp(client, factors: ["sms", "recovery-code"])
            let app = setup.app
            let provider = try await client.json(
                .put, "/api/v2/guardian/factors/phone/selected-provider", .object(["provider": "phone-message-hook"]),
                token: setup.fixtures.token)
            #expect(provider.status == .ok)
            try await setup.fixtures.bind(
                [.init(name: "sms-gateway", code: MultifactorTests.recorder)], to: "send-phone-message", version: "v2")

            let first = try await Self.login(client, app)
            let noPhone = try await Self.bearer(
                client, .post, "/mfa/associate", first, .object(["authenticator_types": .array(["oob"]), "oob_channels": .array(["sms"])]))
            Self.expectError(noPhone, .badRequest, "invalid_request", "Missing required parameter: phone_number")
            let otpRefused = try await Self.bearer(
                client, .post, "/mfa/associate", first, .object(["authenticator_types": .array(["otp"])]))
            Self.expectError(otpRefused, .badRequest, "invalid_request")
            let associated = try await Self.bearer(
                client, .post, "/mfa/associate", first,
                .object([
                    "authenticator_types": .array(["oob"]), "oob_channels": .array(["sms"]), "phone_number": "+15555550100",
                ]))
            #expect(associated.status == .ok, "\(associated.text)")
            #expect(associated.json["oob_channel"] == "sms" && associated.json["binding_method"] == "prompt")
            #expect(associated.json["recovery_codes"]?.arrayValue?.count == 1)
            let oobCode = try #require(associated.json["oob_code"]?.stringValue)
            let sent = try await MultifactorTests.lastMessage(client)
            #expect(sent["options"]?["action"] == "enrollment" && sent["options"]?["recipient"] == "+15555550100")
            let code = try #require(sent["options"]?["code"]?.stringValue)
            func oob(_ token: String, _ oobCode: String, _ binding: String?) async throws -> TestClient.Reply {
                var fields = ["grant_type": MultifactorAPI.oobGrantType, "mfa_token": token, "oob_code": oobCode]
                fields["binding_code"] = binding
                return try await Self.token(client, app, fields)
            }
            Self.expectError(try await oob(first, oobCode, nil), .badRequest, "invalid_request", "Missing required parameter: binding_code")
            Self.expectError(try await oob(first, "someone-elses-oob-code", code), .forbidden, "invalid_grant")
            Self.expectError(try await oob(first, oobCode, Self.wrong(code)), .forbidden, "invalid_grant", "Invalid binding_code.")
            let tokens = try await oob(first, oobCode, code)
            #expect(tokens.status == .ok, "\(tokens.text)")
            #expect(jwtClaims(try #require(tokens.json["id_token"]?.stringValue))["amr"] == .array(["mfa"]))

            // A second login: the phone is listed masked, and challenged by its id.
            let second = try await Self.login(client, app)
            let listed = try await Self.bearer(client, .get, "/mfa/authenticators", second)
            let phone = try #require(listed.json.arrayValue?.first { $0["authenticator_type"] == "oob" })
            #expect(phone["oob_channel"] == "sms" && phone["name"] == "+1XXXXXX0100" && phone["active"] == true, "\(listed.text)")
            let phoneID = try #require(phone["id"]?.stringValue)
            #expect(phoneID.hasPrefix("sms|dev_"))
            Self.expectError(
                try await Self.challenge(client, app, ["mfa_token": second, "challenge_type": "otp", "authenticator_id": phoneID]),
                .badRequest, "unsupported_challenge_type")
            let challenged = try await Self.challenge(
                client, app, ["mfa_token": second, "challenge_type": "oob", "authenticator_id": phoneID])
            #expect(challenged.status == .ok && challenged.json["challenge_type"] == "oob", "\(challenged.text)")
            #expect(challenged.json["binding_method"] == "prompt")
            let challengeCode = try #require(challenged.json["oob_code"]?.stringValue)
            let message = try await MultifactorTests.lastMessage(client)
            #expect(message["options"]?["action"] == "second-factor-authentication")
            let loginCode = try #require(message["options"]?["code"]?.stringValue)
            // The association's oob_code belongs to another login.
            Self.expectError(try await oob(second, oobCode, loginCode), .forbidden, "invalid_grant")
            let again = try await oob(second, challengeCode, loginCode)
            #expect(again.status == .ok, "\(again.text)")
            #expect(jwtClaims(try #require(again.json["id_token"]?.stringValue))["amr"] == .array(["mfa"]))
        }
    }
}
