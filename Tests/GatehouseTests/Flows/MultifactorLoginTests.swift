import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Testing

/// MFA inside the login (`auth0-actions.md` §3.1: `api.multifactor.enable`,
/// `api.authentication.challengeWith…`), through the hosted MFA page `/u/mfa`.
@Suite("post-login: MFA on the hosted page") struct MultifactorLoginTests {
    typealias Code = Fixtures.BoundCode

    static func enabling(_ options: String = "", name: String = "require-mfa") -> Code {
        Code(
            name: name,
            code: "exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable('any'\(options)); };")
    }

    /// Logs in on the hosted page and follows the login to the MFA page.
    static func loginToMFA(_ client: TestClient, _ app: Fixtures.App, pkce: (verifier: String, challenge: String), extra: String = "")
        async throws -> (state: String, page: TestClient.Reply)
    {
        let reply = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid email", extra: extra)
        #expect(reply.status == .found)
        let location = try #require(reply.location, "\(reply.text)")
        #expect(location.hasPrefix("/u/mfa?state="), "\(location)")
        let state = try #require(reply.redirectQuery["state"])
        let page = try await client.request(.get, location)
        #expect(page.status == .ok, "\(page.text)")
        return (state, page)
    }

    /// The text of the element with `id` in an HTML page.
    static func element(_ id: String, in page: TestClient.Reply) -> String? {
        guard let start = page.text.range(of: "id=\"\(id)\">") else { return nil }
        let rest = page.text[start.upperBound...]
        return rest.firstIndex(of: "<").map { String(rest[..<$0]) }
    }

    static func idTokenClaims(_ client: TestClient, _ app: Fixtures.App, _ reply: TestClient.Reply, verifier: String) async throws
        -> [String: JSONValue]
    {
        #expect(reply.location?.hasPrefix(AuthorizationCodeFlowTests.callback) == true, "\(reply.location ?? reply.text)")
        let code = try #require(reply.redirectQuery["code"], "\(reply.location ?? reply.text)")
        let tokens = try await PostLoginTests.exchange(client, app, code: code, verifier: verifier)
        return jwtClaims(try #require(tokens.json["id_token"]?.stringValue, "\(tokens.text)"))
    }

    static func verify(
        _ client: TestClient, state: String, factor: String, code: String, enrollmentID: String? = nil, remember: Bool = false
    )
        async throws -> TestClient.Reply
    {
        var fields = ["state": state, "action": "verify", "factor": factor, "code": code]
        if let enrollmentID { fields["enrollment_id"] = enrollmentID }
        if remember { fields["remember"] = "true" }
        return try await client.form("/u/mfa", fields)
    }

    @Test("enable('any'): a first login enrols TOTP (QR code and key), a wrong code says so, the recovery code is shown once; amr is mfa")
    func enrolThenChallenge() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await MultifactorTests.enable(fixtures, ["otp", "recovery-code"])
            try await fixtures.bind([Self.enabling(", { allowRememberBrowser: true }")], to: "post-login", version: "v3")

            let pkce = PKCEPair.make()
            let (state, page) = try await Self.loginToMFA(client, app, pkce: pkce)
            #expect(page.text.contains("<svg") && page.text.contains("authenticator app"))
            let secret = try #require(Self.element("mfa-secret", in: page))
            let enrollmentID = try #require(page.hiddenInput("enrollment_id"))
            #expect(page.text.contains("Remember this browser"))
            // The enrolment is pending until the first code; nothing is listed as enrolled yet.
            let pendingList = try await client.json(.get, "/api/v2/users/\(userID)/authentication-methods", token: fixtures.token)
            #expect(pendingList.json.arrayValue?.allSatisfy { $0["confirmed"] != true } == true, "\(pendingList.text)")

            let now = Timestamp.nowMillis()
            let right = AuthenticatorApp.code(secret: secret, at: now)
            let wrong = right == "000000" ? "000001" : "000000"
            let refused = try await Self.verify(client, state: state, factor: "otp", code: wrong, enrollmentID: enrollmentID)
            #expect(refused.status == .ok)
            #expect(refused.text.contains("The code is not valid"))
            #expect(Self.element("mfa-secret", in: refused) == secret, "the same key is shown again")

            let confirmed = try await Self.verify(
                client, state: state, factor: "otp", code: right, enrollmentID: enrollmentID, remember: true)
            let recoveryCode = try #require(Self.element("recovery-code", in: confirmed), "\(confirmed.text)")
            #expect(recoveryCode.count == 24)
            let done = try await client.form("/u/mfa", ["state": state, "action": "continue", "remember": "true"])
            #expect(done.status == .found, "\(done.text)")
            #expect(client.cookies["gatehouse_mfa_remember"] != nil)
            let claims = try await Self.idTokenClaims(client, app, done, verifier: pkce.verifier)
            #expect(claims["amr"] == .array(["mfa"]))
            #expect(claims["sub"] == .string(userID))
            // The page cannot finish the login twice.
            let again = try await client.form("/u/mfa", ["state": state, "action": "continue"])
            #expect(again.text.contains("already continued"))

            // Next login in this browser: remembered, as the action allows it.
            let remembered = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            let rememberedClaims = try await Self.idTokenClaims(client, app, remembered, verifier: pkce.verifier)
            #expect(rememberedClaims["amr"] == nil, "no factor was proved in this login")

            // An action that does not allow remembering: the browser is challenged, and may use
            // the recovery code, which is then replaced by a new one shown once.
            try await fixtures.bind([Self.enabling(name: "require-mfa-always")], to: "post-login", version: "v3")
            let (challengeState, challenge) = try await Self.loginToMFA(client, app, pkce: pkce)
            #expect(challenge.text.contains("authenticator app") && !challenge.text.contains("Remember this browser"))
            #expect(challenge.text.contains("factor=recovery-code"))
            let recovery = try await Self.verify(client, state: challengeState, factor: "recovery-code", code: recoveryCode)
            let newCode = try #require(Self.element("recovery-code", in: recovery), "\(recovery.text)")
            #expect(newCode != recoveryCode)
            let finished = try await client.form("/u/mfa", ["state": challengeState, "action": "continue"])
            #expect(try await Self.idTokenClaims(client, app, finished, verifier: pkce.verifier)["amr"] == .array(["mfa"]))

            // The TOTP code of the next time step (one step of drift is accepted) works once.
            let (thirdState, _) = try await Self.loginToMFA(client, app, pkce: pkce)
            let next = AuthenticatorApp.code(secret: secret, at: now + 30_000)
            let third = try await Self.verify(client, state: thirdState, factor: "otp", code: next)
            #expect(try await Self.idTokenClaims(client, app, third, verifier: pkce.verifier)["amr"] == .array(["mfa"]))
            let (fourthState, _) = try await Self.loginToMFA(client, app, pkce: pkce)
            let replayed = try await Self.verify(client, state: fourthState, factor: "otp", code: next)
            #expect(replayed.text.contains("already used"), "\(replayed.text)")

            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            // The first login typed a password (`s`, once, when it completed after MFA); the others
            // re-used its session.
            #expect(logs.filter { $0["type"] == "s" }.count == 1, "\(logs)")
        }
    }

    static let challenger = Code(
        name: "challenger",
        code: """
            exports.onExecutePostLogin = async (event, api) => {
              api.user.setAppMetadata('challenger_runs', (event.user.app_metadata.challenger_runs ?? 0) + 1);
              api.transaction.setMetadata('kept', 'yes');
              api.authentication.challengeWith({ type: 'otp' }, { additionalFactors: [{ type: 'webauthn-roaming' }] });
            };
            """)

    static let reader = Code(
        name: "reader",
        code: """
            exports.onExecutePostLogin = async (event, api) => {
              api.idToken.setCustomClaim('https://example.com/after', {
                methods: event.authentication.methods.map((m) => m.name), factors: event.user.enrolledFactors,
                multifactor: event.user.multifactor, kept: event.transaction.metadata.kept ?? null,
              });
              api.multifactor.enable('any');
            };
            """)

    @Test("challengeWith: later actions wait for the factor, then see mfa in event.authentication.methods; enable() after it is met")
    func challengeWithMidFlow() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await MultifactorTests.enable(fixtures, ["otp"])
            try await fixtures.bind([Self.challenger, Self.reader], to: "post-login", version: "v3")
            let mfa = client.server.services.multifactor

            // No authenticator: nothing can be challenged, and the login fails with the reason.
            let refused = try await AuthorizationCodeFlowTests.login(client, app: app, scope: "openid")
            #expect(refused.redirectQuery["error"] == "access_denied", "\(refused.location ?? refused.text)")
            #expect(refused.redirectQuery["error_description"]?.contains("enrolled by the user") == true)

            let start = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane@example.com")
            let now = Timestamp.nowMillis()
            _ = try await mfa.confirmTOTPEnrollment(
                userID: userID, enrollmentID: start.enrollmentID, code: AuthenticatorApp.code(secret: start.secret, at: now - 30_000))

            let pkce = PKCEPair.make()
            let (state, page) = try await Self.loginToMFA(client, app, pkce: pkce)
            #expect(page.text.contains("authenticator app") && !page.text.contains("factor=recovery-code"))
            let done = try await Self.verify(
                client, state: state, factor: "otp", code: AuthenticatorApp.code(secret: start.secret, at: now))
            let claims = try await Self.idTokenClaims(client, app, done, verifier: pkce.verifier)
            let after = try #require(claims["https://example.com/after"])
            #expect(after["methods"] == .array(["pwd", "mfa"]))
            #expect(after["factors"] == .array([.object(["type": "otp"])]))
            #expect(after["multifactor"] == .array(["guardian"]))
            #expect(after["kept"] == "yes")
            #expect(claims["amr"] == .array(["mfa"]), "enable('any') at the end is met by the challenge in this login")
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            // The refused login failed for want of a factor, as an action failure does: its
            // metadata was not written. The challenger did not run again after MFA.
            #expect(user.json["app_metadata"]?["challenger_runs"] == .number(1))
            // The session remembers the methods (Management API `authentication.methods`).
            let sessions = try await client.json(.get, "/api/v2/users/\(userID)/sessions", token: fixtures.token)
            let methods = sessions.json["sessions"]?.arrayValue?.first?["authentication"]?["methods"]?.arrayValue ?? []
            #expect(methods.compactMap { $0["name"]?.stringValue } == ["pwd", "mfa"], "\(sessions.text)")
        }
    }

    @Test(
        "hostile /u/mfa: no state, another browser, a state of /continue's kind, prompt=none, guessing codes; the token endpoint gets mfa_required"
    )
    func hostile() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await MultifactorTests.enable(fixtures, ["otp"])
            try await fixtures.bind([Self.enabling()], to: "post-login", version: "v3")
            let mfa = client.server.services.multifactor
            let start = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane@example.com")
            let now = Timestamp.nowMillis()
            _ = try await mfa.confirmTOTPEnrollment(
                userID: userID, enrollmentID: start.enrollmentID, code: AuthenticatorApp.code(secret: start.secret, at: now - 30_000))

            let missing = try await client.request(.get, "/u/mfa")
            #expect(missing.status == .badRequest && missing.text.contains("missing or unknown"))
            let pkce = PKCEPair.make()
            let (state, _) = try await Self.loginToMFA(client, app, pkce: pkce)
            let stranger = try await client.request(.get, "/u/mfa?state=\(state)", sendCookies: false)
            #expect(stranger.status == .forbidden)
            let strangerPost = try await client.request(
                .post, "/u/mfa", headers: [.contentType: "application/x-www-form-urlencoded"],
                body: "state=\(state)&action=verify&factor=otp&code=\(AuthenticatorApp.code(secret: start.secret, at: now))",
                sendCookies: false)
            #expect(strangerPost.status == .forbidden, "a right code from another browser does nothing")
            let atContinue = try await client.request(.get, "/continue?state=\(state)")
            #expect(atContinue.text.contains("missing or unknown"), "an MFA state does not resume at /continue")
            let skip = try await client.form("/u/mfa", ["state": state, "action": "continue"])
            #expect(skip.status != .found, "continuing without a proved factor does not finish the login")

            // Wrong codes count per user: past the bucket, even the right code waits.
            let right = AuthenticatorApp.code(secret: start.secret, at: now)
            let wrong = right == "000000" ? "000001" : "000000"
            for _ in 0..<10 {
                let reply = try await Self.verify(client, state: state, factor: "otp", code: wrong)
                #expect(reply.text.contains("The code is not valid"))
            }
            let blocked = try await Self.verify(client, state: state, factor: "otp", code: right)
            #expect(blocked.text.contains("Too many wrong codes"), "\(blocked.text)")

            // Back-channel: Auth0's mfa_required with an mfa_token.
            let password = try await client.form("/oauth/token", PostLoginTests.passwordRealm(app, scope: "openid"))
            #expect(password.status == .forbidden)
            #expect(password.json["error"] == "mfa_required" && password.json["error_description"] == "Multifactor authentication required")
            #expect((password.json["mfa_token"]?.stringValue?.count ?? 0) >= 40)
        }
    }

    @Test("prompt=none cannot show MFA: interaction_required back to the client")
    func silentLogin() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            _ = try await fixtures.createUser()
            try await MultifactorTests.enable(fixtures, ["otp"])
            // A session without MFA, then an action that asks for it.
            let pkce = PKCEPair.make()
            _ = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            try await fixtures.bind([Self.enabling()], to: "post-login", version: "v3")
            let silent = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid", extra: "&prompt=none")
            #expect(silent.redirectQuery["error"] == "interaction_required", "\(silent.location ?? silent.text)")
        }
    }

    @Test("SMS on the page: enrol a phone (the code goes through send-phone-message), then a challenge sends a code on request")
    func phone() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await MultifactorTests.enable(fixtures, ["sms"])
            _ = try await client.json(
                .put, "/api/v2/guardian/factors/phone/selected-provider", .object(["provider": "phone-message-hook"]),
                token: fixtures.token)
            try await fixtures.bind([.init(name: "sms-gateway", code: MultifactorTests.recorder)], to: "send-phone-message", version: "v2")
            try await fixtures.bind([Self.enabling()], to: "post-login", version: "v3")

            let pkce = PKCEPair.make()
            let (state, page) = try await Self.loginToMFA(client, app, pkce: pkce)
            #expect(page.text.contains("name=\"phone_number\""))
            let badNumber = try await client.form("/u/mfa", ["state": state, "action": "enroll-phone", "phone_number": "0100"])
            #expect(badNumber.text.contains("international format"))
            let sent = try await client.form("/u/mfa", ["state": state, "action": "enroll-phone", "phone_number": "+15555550100"])
            #expect(sent.text.contains("+1••••••0100"), "\(sent.text)")
            let enrollmentID = try #require(sent.hiddenInput("enrollment_id"))
            let message = try await MultifactorTests.lastMessage(client)
            #expect(message["options"]?["action"] == "enrollment")
            let code = try #require(message["options"]?["code"]?.stringValue)
            let done = try await Self.verify(client, state: state, factor: "phone", code: code, enrollmentID: enrollmentID)
            #expect(try await Self.idTokenClaims(client, app, done, verifier: pkce.verifier)["amr"] == .array(["mfa"]))

            // The next login challenges the phone; a GET sends nothing, the button does.
            let (challengeState, challenge) = try await Self.loginToMFA(client, app, pkce: pkce)
            #expect(challenge.text.contains("send-code"))
            let sentAgain = try await client.form("/u/mfa", ["state": challengeState, "action": "send", "factor": "phone"])
            #expect(sentAgain.text.contains("We sent a code"))
            let challengeMessage = try await MultifactorTests.lastMessage(client)
            #expect(challengeMessage["options"]?["action"] == "second-factor-authentication")
            let loginCode = try #require(challengeMessage["options"]?["code"]?.stringValue)
            let finished = try await Self.verify(client, state: challengeState, factor: "phone", code: loginCode)
            #expect(try await Self.idTokenClaims(client, app, finished, verifier: pkce.verifier)["amr"] == .array(["mfa"]))
            _ = userID
        }
    }
}
