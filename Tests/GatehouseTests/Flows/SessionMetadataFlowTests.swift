import Foundation
import GatehouseCore
import Testing

/// `api.session.*` and `api.refreshToken.*` in real logins (`auth0-actions.md` §3.1; Auth0
/// "Configure Session Metadata", "Configure Refresh Token Metadata"): what actions set is stored
/// with the session and the refresh token, shown to later logins and by the Management API;
/// expiry only ever shortens; a call that breaks Auth0's rules refuses the login with its text.
@Suite("post-login: session and refresh-token metadata and expiry") struct SessionMetadataFlowTests {
    typealias Code = Fixtures.BoundCode

    static let sessionWriter = Code(
        name: "session-writer",
        code: """
            exports.onExecutePostLogin = async (event, api) => {
              api.idToken.setCustomClaim('https://example.com/seen', event.session?.metadata?.device ?? null);
              if (event.session?.metadata?.device) {
                api.session.deleteMetadata('device');
                api.session.setMetadata('visits', '2');
              } else {
                api.session.setMetadata('device', 'laptop');
                api.session.setExpiresAt(Date.now() + 3600 * 1000);
                api.session.setExpiresAt(Date.now() + 7200 * 1000);
              }
            };
            """)

    @Test("a browser login's session keeps what actions set; the next SSO login sees it and edits it; expiry only shortens")
    func browserSession() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            let userID = try await fixtures.createUser()
            try await fixtures.bind([Self.sessionWriter], to: "post-login", version: "v3")
            let pkce = PKCEPair.make()
            let before = Timestamp.nowMillis()
            let first = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            let firstClaims = try await MultifactorLoginTests.idTokenClaims(client, app, first, verifier: pkce.verifier)
            #expect(firstClaims["https://example.com/seen"] == .null)
            let sessions = try await client.json(.get, "/api/v2/users/\(userID)/sessions", token: fixtures.token)
            let session = try #require(sessions.json["sessions"]?.arrayValue?.first, "\(sessions.text)")
            #expect(session["session_metadata"] == .object(["device": "laptop"]))
            // The earliest expiry asked for wins (an hour), far below the default lifetime.
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let date = try #require(session["idle_expires_at"]?.stringValue.flatMap(formatter.date(from:)), "\(session)")
            let expires = EpochMillis(date.timeIntervalSince1970 * 1000)
            #expect(expires >= before + 3_500_000 && expires <= Timestamp.nowMillis() + 3_600_000, "\(session)")

            let second = try await AuthorizationCodeFlowTests.login(client, app: app, pkce: pkce, scope: "openid")
            let secondClaims = try await MultifactorLoginTests.idTokenClaims(client, app, second, verifier: pkce.verifier)
            #expect(secondClaims["https://example.com/seen"] == "laptop")
            let after = try await client.json(.get, "/api/v2/users/\(userID)/sessions", token: fixtures.token)
            #expect(after.json["sessions"]?.arrayValue?.first?["session_metadata"] == .object(["visits": "2"]), "\(after.text)")
        }
    }

    @Test("a metadata call that breaks Auth0's rules refuses the login with Auth0's text")
    func invalidMetadata() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let app = try await fixtures.createApp()
            _ = try await fixtures.createUser()
            try await fixtures.bind(
                [
                    Code(
                        name: "bad-key",
                        code: "exports.onExecutePostLogin = async (event, api) => { api.session.setMetadata('bad key!', 'x'); };")
                ], to: "post-login", version: "v3")
            let refused = try await AuthorizationCodeFlowTests.login(client, app: app, scope: "openid")
            #expect(refused.redirectQuery["error"] == "access_denied", "\(refused.location ?? refused.text)")
            #expect(
                refused.redirectQuery["error_description"]
                    == "Failed to set session metadata: Invalid metadata: Metadata keys may only include letters, numbers, underscores, or hyphens"
            )
        }
    }

    static let tokenWriter = Code(
        name: "token-writer",
        code: """
            exports.onExecutePostLogin = async (event, api) => {
              if (event.transaction.protocol !== 'oauth2-refresh-token') return;
              const count = Number(event.refresh_token.metadata.exchanges ?? '0') + 1;
              api.refreshToken.setMetadata('exchanges', String(count));
              api.idToken.setCustomClaim('https://example.com/exchanges', count);
            };
            """)

    @Test("refresh-token metadata: kept on the token (non-rotating) or passed to the next one (rotating), counted across exchanges")
    func refreshTokenMetadata() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let userID = try await fixtures.createUser()
            try await fixtures.bind([Self.tokenWriter], to: "post-login", version: "v3")
            try await fixtures.createAPI(extra: ["allow_offline_access": true])
            for rotation in ["non-rotating", "rotating"] {
                let app = try await fixtures.createApp(name: "App \(rotation)")
                let patched = try await client.json(
                    .patch, "/api/v2/clients/\(app.id)",
                    .object([
                        "refresh_token": .object([
                            "rotation_type": .string(rotation), "expiration_type": "non-expiring", "leeway": 0,
                            "token_lifetime": 2_592_000, "infinite_token_lifetime": true, "idle_token_lifetime": 1_296_000,
                            "infinite_idle_token_lifetime": true,
                        ])
                    ]),
                    token: fixtures.token)
                #expect(patched.status == .ok, "\(patched.text)")
                let login = try await client.form("/oauth/token", PostLoginTests.passwordRealm(app, scope: "openid offline_access"))
                var refreshToken = try #require(login.json["refresh_token"]?.stringValue, "\(login.text)")
                for expected in 1...2 {
                    let refreshed = try await client.form(
                        "/oauth/token",
                        [
                            "grant_type": "refresh_token", "client_id": app.id, "client_secret": app.secret ?? "",
                            "refresh_token": refreshToken,
                        ])
                    let claims = jwtClaims(try #require(refreshed.json["id_token"]?.stringValue, "\(refreshed.text)"))
                    #expect(claims["https://example.com/exchanges"] == .number(Double(expected)), "\(rotation)")
                    if let next = refreshed.json["refresh_token"]?.stringValue { refreshToken = next }
                }
                let tokens = try await client.json(.get, "/api/v2/users/\(userID)/refresh-tokens", token: fixtures.token)
                let mine = (tokens.json["tokens"]?.arrayValue ?? []).filter { $0["client_id"] == .string(app.id) }
                #expect(mine.count == 1, "\(tokens.text)")
                #expect(mine.first?["refresh_token_metadata"] == .object(["exchanges": "2"]), "\(rotation): \(tokens.text)")
            }
        }
    }
}
