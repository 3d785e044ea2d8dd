import Foundation
import GatehouseCore
import Testing

/// `password-reset-post-challenge` (`auth0-actions.md` §2.8, §3.5) on the hosted reset page.
@Suite("password-reset-post-challenge") struct PasswordResetChallengeTests {
    typealias Code = Fixtures.BoundCode

    static let guardAction = Code(
        name: "reset-guard",
        code: """
            exports.onExecutePostChallenge = async (event, api) => {
              if (event.user.app_metadata.no_reset) { api.access.deny('Resets are closed for this account.'); return; }
              if (event.user.enrolledFactors.length) api.authentication.challengeWith({ type: 'otp' });
              api.transaction.setResultUrl('https://app.example/reset-done', { query: { via: event.authentication.methods[0].name } });
            };
            """)

    static func ticketPath(_ client: TestClient, _ fixtures: Fixtures, userID: String) async throws -> String {
        let created = try await client.json(
            .post, "/api/v2/tickets/password-change", .object(["user_id": .string(userID)]), token: fixtures.token)
        let link = try #require(created.json["ticket"]?.stringValue, "\(created.text)")
        return "/u/reset-password?ticket=" + AccountTicketTests.ticketToken(link)
    }

    @Test("deny stops the reset with the reason; challengeWith asks for the factor first; setResultUrl chooses where the browser goes")
    func denyChallengeAndResultURL() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            try await fixtures.bind([Self.guardAction], to: "password-reset-post-challenge", version: "v1")

            _ = try await client.json(
                .patch, "/api/v2/users/\(userID)", .object(["app_metadata": .object(["no_reset": true])]), token: fixtures.token)
            let closedPath = try await Self.ticketPath(client, fixtures, userID: userID)
            let closed = try await client.request(.get, closedPath)
            #expect(closed.status == .forbidden && closed.text.contains("Resets are closed for this account."))
            let ticket = AccountTicketTests.ticketToken(closedPath)
            let forced = try await client.form(
                "/u/reset-password", ["ticket": ticket, "password": "new-horse-42", "confirm": "new-horse-42"])
            #expect(forced.status != .found && forced.text.contains("not cleared"), "a denied reset cannot be forced by a POST")

            _ = try await client.json(
                .patch, "/api/v2/users/\(userID)", .object(["app_metadata": .object(["no_reset": .null])]), token: fixtures.token)
            try await MultifactorTests.enable(fixtures, ["otp"])
            let mfa = client.server.services.multifactor
            let start = try await mfa.startTOTPEnrollment(userID: userID, accountName: "jane@example.com")
            let now = Timestamp.nowMillis()
            _ = try await mfa.confirmTOTPEnrollment(
                userID: userID, enrollmentID: start.enrollmentID, code: AuthenticatorApp.code(secret: start.secret, at: now - 30_000))

            let path = try await Self.ticketPath(client, fixtures, userID: userID)
            let token = AccountTicketTests.ticketToken(path)
            let challenge = try await client.request(.get, path)
            #expect(challenge.text.contains("authenticator app") && !challenge.text.contains("name=\"password\""), "\(challenge.text)")
            let skipped = try await client.form(
                "/u/reset-password", ["ticket": token, "password": "new-horse-42", "confirm": "new-horse-42"])
            #expect(skipped.text.contains("not cleared"), "the password cannot be set before the factor")
            let wrong = try await client.form(
                "/u/reset-password", ["ticket": token, "action": "verify", "factor": "otp", "code": "000000"])
            #expect(wrong.text.contains("The code is not valid") || wrong.text.contains("already used"))
            let right = try await client.form(
                "/u/reset-password",
                ["ticket": token, "action": "verify", "factor": "otp", "code": AuthenticatorApp.code(secret: start.secret, at: now)])
            #expect(right.text.contains("name=\"password\""), "\(right.text)")
            let done = try await client.form(
                "/u/reset-password", ["ticket": token, "password": "new-horse-42", "confirm": "new-horse-42"])
            #expect(
                done.location?.hasPrefix("https://app.example/reset-done?via=email&success=true") == true, "\(done.location ?? done.text)")
        }
    }

    @Test("sendUserTo: the browser leaves, /continue runs onContinuePostChallenge and brings it back to the reset page")
    func redirectAndContinue() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            let away = Code(
                name: "reset-idv",
                code: """
                    exports.onExecutePostChallenge = async (event, api) => {
                      api.redirect.sendUserTo('https://idv.example/check', { query: { lang: 'fr' } });
                    };
                    exports.onContinuePostChallenge = async (event, api) => {
                      api.transaction.setResultUrl('https://app.example/after-idv?checked=' + event.request.query.checked);
                    };
                    """)
            try await fixtures.bind([away], to: "password-reset-post-challenge", version: "v1")
            let path = try await Self.ticketPath(client, fixtures, userID: userID)
            let leaving = try await client.request(.get, path)
            #expect(leaving.location?.hasPrefix("https://idv.example/check?state=") == true, "\(leaving.location ?? leaving.text)")
            #expect(leaving.redirectQuery["lang"] == "fr")
            let state = try #require(leaving.redirectQuery["state"])
            let stranger = try await client.request(.get, "/continue?state=\(state)&checked=yes", sendCookies: false)
            #expect(stranger.status == .forbidden, "only the browser that left")
            let back = try await client.request(.get, "/continue?state=\(state)&checked=yes")
            #expect(back.location == "/u/reset-password", "\(back.location ?? back.text)")
            let page = try await client.request(.get, "/u/reset-password")
            #expect(page.text.contains("name=\"password\""), "\(page.text)")
            let done = try await client.form(
                "/u/reset-password",
                ["ticket": AccountTicketTests.ticketToken(path), "password": "new-horse-42", "confirm": "new-horse-42"])
            #expect(done.location?.hasPrefix("https://app.example/after-idv?checked=yes&success=true") == true, "\(done.location ?? "")")
            #expect(try await client.request(.get, "/continue?state=\(state)").text.contains("already continued"))
        }
    }
}
