import Crypto
import Foundation
import GatehouseCore
import Testing

/// `api.redirect.sendUserTo` and `/continue` (`auth0-actions.md` §7), through the hosted login.
@Suite("post-login: redirect and resume") struct RedirectResumeTests {
    typealias Code = Fixtures.BoundCode
    static let secret = "shared-secret-of-the-idv-app"
    static let target = "https://idv.example/verify"

    /// Counts its runs in app_metadata, then hands the login to the next action.
    static let first = Code(
        name: "first",
        code: """
            exports.onExecutePostLogin = async (event, api) => {
              api.user.setAppMetadata('first_runs', (event.user.app_metadata.first_runs ?? 0) + 1);
              api.transaction.setMetadata('asked_at', 'first');
              api.idToken.setCustomClaim('https://example.com/first', true);
            };
            """)

    /// Sends the user to the IDV app with a token, and reads the app's answer on the way back.
    static func redirecting(_ name: String = "idv", claim: String = "https://example.com/verified") -> Code {
        Code(
            name: name,
            code: """
                exports.onExecutePostLogin = async (event, api) => {
                  const token = api.redirect.encodeToken({ secret: event.secrets.IDV ?? '\(secret)', payload: { email: event.user.email } });
                  api.redirect.sendUserTo('\(target)', { query: { session_token: token, lang: 'fr' } });
                };
                exports.onContinuePostLogin = async (event, api) => {
                  const payload = api.redirect.validateToken({ secret: '\(secret)', tokenParameterName: 'session_token' });
                  api.idToken.setCustomClaim('\(claim)', {
                    verified: payload.verified, metadata: event.transaction.metadata.asked_at ?? null,
                    method: event.request.method,
                  });
                };
                """)
    }

    static let later = Code(
        name: "later",
        code: """
            exports.onExecutePostLogin = async (event, api) => {
              api.idToken.setCustomClaim('https://example.com/later', event.request.method);
            };
            """)

    /// An HS256 token as the redirect target signs it.
    static func returnToken(sub: String, state: String, secret: String = secret, expiresIn: Double = 300) -> String {
        func encode(_ value: JSONValue) -> String {
            Data(value.jsonData()).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let now = Date().timeIntervalSince1970
        let input =
            encode(.object(["alg": "HS256", "typ": "JWT"])) + "."
            + encode(
                .object(["sub": .string(sub), "state": .string(state), "verified": true, "exp": .number((now + expiresIn).rounded())]))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let signature = Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return input + "." + signature
    }

    /// Starts a hosted login and returns the redirect to the IDV target.
    static func loginToTarget(_ client: TestClient, _ app: Fixtures.App, pkce: (verifier: String, challenge: String)) async throws
        -> TestClient.Reply
    {
        let reply = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid email")
        #expect(reply.status == .found)
        #expect(reply.location?.hasPrefix(target + "?") == true, "\(reply.location ?? reply.text)")
        return reply
    }

    @Test("the browser leaves with state and the query; /continue runs onContinuePostLogin, then the rest; once only")
    func redirectAndResume() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await fixtures.bind([Self.first, Self.redirecting(), Self.later], to: "post-login", version: "v3")
            let pkce = PKCEPair.make()
            let away = try await Self.loginToTarget(client, app, pkce: pkce)
            let state = try #require(away.redirectQuery["state"])
            #expect(away.redirectQuery["lang"] == "fr")
            let outbound = jwtClaims(try #require(away.redirectQuery["session_token"]))
            #expect(outbound["sub"]?.stringValue == userID)
            #expect(outbound["email"] == "jane@example.com")
            #expect(client.cookies["gatehouse_browser"] != nil)
            // The person logged in: the login is counted while the browser is away.
            let waiting = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(waiting.json["logins_count"] == .number(1))

            let back = try await client.form(
                "/continue", ["state": state, "session_token": Self.returnToken(sub: userID, state: state)])
            #expect(back.status == .found, "\(back.text)")
            #expect(back.location?.hasPrefix(AuthorizationCodeFlowTests.callback) == true, "\(back.location ?? back.text)")
            #expect(back.redirectQuery["state"] == "xyz")
            let code = try #require(back.redirectQuery["code"])
            let tokens = try await PostLoginTests.exchange(client, app, code: code, verifier: pkce.verifier)
            let claims = jwtClaims(try #require(tokens.json["id_token"]?.stringValue))
            #expect(claims["https://example.com/first"] == true)
            #expect(claims["https://example.com/verified"] == .object(["verified": true, "metadata": "first", "method": "POST"]))
            #expect(claims["https://example.com/later"] == "POST")
            let user = try await client.json(.get, "/api/v2/users/\(userID)", token: fixtures.token)
            #expect(user.json["app_metadata"]?["first_runs"] == .number(1), "actions before the redirect do not run again")
            #expect(user.json["logins_count"] == .number(1))
            let logs = try await client.json(.get, "/api/v2/logs", token: fixtures.token).json.arrayValue ?? []
            let success = try #require(logs.first { $0["type"] == "s" })
            #expect(success["details"]?["actions"]?["executions"]?.arrayValue?.count == 2)

            let replay = try await client.form("/continue", ["state": state, "session_token": Self.returnToken(sub: userID, state: state)])
            #expect(replay.status == .badRequest)
            #expect(replay.text.contains("already continued"))
        }
    }

    @Test("hostile /continue: no state, an unknown one, another browser, a tampered or mismatched token")
    func hostileContinue() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await fixtures.bind([Self.redirecting()], to: "post-login", version: "v3")

            let missing = try await client.request(.get, "/continue")
            #expect(missing.status == .badRequest)
            #expect(missing.text.contains("state parameter is missing or unknown"))
            let unknown = try await client.request(.get, "/continue?state=not-a-real-state")
            #expect(unknown.status == .badRequest)
            let oversized = try await client.request(.get, "/continue?state=" + String(repeating: "a", count: 5000))
            #expect(oversized.status == .badRequest)
            let garbage = try await client.request(.post, "/continue", headers: [.contentType: "application/json"], body: "[1,2")
            #expect(garbage.status == .badRequest)

            // Another browser (no cookie, or another browser's cookie) holding the state gets nowhere,
            // and does not use the state up.
            let away = try await Self.loginToTarget(client, app, pkce: PKCEPair.make())
            let state = try #require(away.redirectQuery["state"])
            let stranger = try await client.request(.get, "/continue?state=\(state)", sendCookies: false)
            #expect(stranger.status == .forbidden)
            #expect(stranger.text.contains("started in another browser"))
            let forged = try await client.request(
                .get, "/continue?state=\(state)", headers: [.cookie: "gatehouse_browser=\(String(repeating: "x", count: 43))"],
                sendCookies: false)
            #expect(forged.status == .forbidden)

            // A token signed with another secret, or for another state: the action's validateToken
            // throws, and the login fails back to the client with the reason.
            let tampered = try await client.request(
                .get, "/continue?state=\(state)&session_token=\(Self.returnToken(sub: userID, state: state, secret: "wrong"))")
            #expect(tampered.redirectQuery["error"] == "access_denied")
            #expect(tampered.redirectQuery["error_description"]?.contains("The session token is invalid") == true)

            let second = try await Self.loginToTarget(client, app, pkce: PKCEPair.make())
            let secondState = try #require(second.redirectQuery["state"])
            let mismatched = try await client.request(
                .get, "/continue?state=\(secondState)&session_token=\(Self.returnToken(sub: userID, state: state))")
            #expect(
                mismatched.redirectQuery["error_description"]?.contains("State in the token does not match the /continue state") == true,
                "\(mismatched.location ?? mismatched.text)")
        }
    }

    @Test("two actions redirect in one login; an action without onContinuePostLogin fails the resume clearly")
    func severalRedirects() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            let noContinue = Code(
                name: "no-continue",
                code: "exports.onExecutePostLogin = async (event, api) => { api.redirect.sendUserTo('https://terms.example/'); };")
            try await fixtures.bind(
                [
                    Self.redirecting("one", claim: "https://example.com/one"), Self.redirecting("two", claim: "https://example.com/two"),
                    noContinue,
                ],
                to: "post-login", version: "v3")
            let pkce = PKCEPair.make()
            let first = try await Self.loginToTarget(client, app, pkce: pkce)
            let firstState = try #require(first.redirectQuery["state"])
            let second = try await client.request(
                .get, "/continue?state=\(firstState)&session_token=\(Self.returnToken(sub: userID, state: firstState))")
            #expect(second.location?.hasPrefix(Self.target) == true, "\(second.location ?? second.text)")
            let secondState = try #require(second.redirectQuery["state"])
            #expect(secondState != firstState)
            let third = try await client.request(
                .get, "/continue?state=\(secondState)&session_token=\(Self.returnToken(sub: userID, state: secondState))")
            #expect(third.location?.hasPrefix("https://terms.example/?state=") == true, "\(third.location ?? third.text)")
            let thirdState = try #require(third.redirectQuery["state"])
            let failed = try await client.request(.get, "/continue?state=\(thirdState)")
            #expect(failed.redirectQuery["error"] == "access_denied")
            #expect(
                failed.redirectQuery["error_description"]?.contains("does not export a \"onContinuePostLogin\" function") == true,
                "\(failed.location ?? failed.text)")
        }
    }

    @Test("no redirect where the browser cannot leave: interaction_required with prompt=none, 403 on the token endpoint")
    func cannotRedirect() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            try await fixtures.createAPI(extra: ["allow_offline_access": true])
            let app = try await fixtures.createApp()
            _ = try await fixtures.createUser()
            let guarded = Code(
                name: "guarded",
                code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://example.com/can', api.redirect.canRedirect());
                      if (event.request.query?.force || event.request.body?.force || api.redirect.canRedirect()) api.redirect.sendUserTo('https://terms.example/');
                    };
                    exports.onContinuePostLogin = async () => {};
                    """)
            try await fixtures.bind([guarded], to: "post-login", version: "v3")

            var realm = PostLoginTests.passwordRealm(app)
            realm["scope"] = "openid"
            let quiet = try await client.form("/oauth/token", realm)
            #expect(quiet.status == .ok, "canRedirect() is false on the password grant: \(quiet.text)")
            #expect(jwtClaims(quiet.json["id_token"]?.stringValue ?? "")["https://example.com/can"] == false)
            realm["force"] = "1"
            let forced = try await client.form("/oauth/token", realm)
            #expect(forced.status == .forbidden)
            #expect(forced.json["error"] == "access_denied")
            #expect(forced.json["error_description"]?.stringValue?.contains("api.redirect.canRedirect()") == true, "\(forced.text)")

            // A session, then prompt=none: a redirect there is interaction_required.
            let pkce = PKCEPair.make()
            let away = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            let state = try #require(away.redirectQuery["state"])
            let done = try await client.request(.get, "/continue?state=\(state)")
            #expect(done.redirectQuery["code"] != nil, "\(done.location ?? done.text)")
            let silent = try await client.request(
                .get,
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&state=s2"
                    + "&scope=openid&prompt=none&force=1&code_challenge=\(pkce.challenge)&code_challenge_method=S256")
            #expect(silent.redirectQuery["error"] == "interaction_required", "\(silent.location ?? silent.text)")
            #expect(silent.redirectQuery["state"] == "s2")
        }
    }

    @Test("api.authentication.recordMethod in onContinuePostLogin: the method stays with the session for its later logins")
    func recordMethod() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            _ = try await fixtures.createUser()
            let recording = Code(
                name: "idv-recorder",
                code: """
                    exports.onExecutePostLogin = async (event, api) => {
                      api.idToken.setCustomClaim('https://example.com/methods', event.authentication.methods.map((m) => m.name));
                      if (!event.authentication.methods.some((m) => m.name === 'https://idv.example/')) {
                        api.redirect.sendUserTo('https://idv.example/verify');
                      }
                    };
                    exports.onContinuePostLogin = async (event, api) => {
                      api.authentication.recordMethod('https://idv.example/');
                    };
                    """)
            try await fixtures.bind([recording], to: "post-login", version: "v3")
            let pkce = PKCEPair.make()
            let away = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            let state = try #require(away.redirectQuery["state"], "\(away.location ?? away.text)")
            let back = try await client.request(.get, "/continue?state=\(state)")
            #expect(back.redirectQuery["code"] != nil, "\(back.location ?? back.text)")
            // The next login in this browser: the recorded method is there, no redirect.
            let again = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            let claims = try await MultifactorLoginTests.idTokenClaims(client, app, again, verifier: pkce.verifier)
            #expect(claims["https://example.com/methods"] == .array(["pwd", "https://idv.example/"]))
        }
    }
}
