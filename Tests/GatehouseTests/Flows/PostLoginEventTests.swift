import Foundation
import GatehouseCore
import GatehouseStorage
import Testing

@testable import GatehouseIdentity

/// Real post-login code reads documented paths of the event without guards (`auth0-actions.md`
/// §2.1–§2.2): each of them must be there, with its type, on every protocol Gatehouse has.
@Suite("post-login: the event real code expects, on every protocol") struct PostLoginEventTests {
    typealias Code = Fixtures.BoundCode

    /// Reads every path unguarded: a missing object throws, and the login fails.
    static let reader = """
        exports.onExecutePostLogin = async (event, api) => {
          api.idToken.setCustomClaim('https://t/event', {
            geo: typeof event.request.geoip, country: event.request.geoip.countryCode ?? null,
            query: typeof event.request.query, x: event.request.query.x ?? null,
            acr: event.transaction.acr_values.length, ui: event.transaction.ui_locales.length,
            prompt: event.transaction.prompt.length, locale: event.transaction.locale,
            picture: event.user.picture, method: event.authentication.methods[0].name,
            logins: event.stats.logins_count, strategy: event.connection.strategy, tenant: typeof event.tenant.id,
            protocol: event.transaction.protocol, scopes: event.transaction.requested_scopes.length,
            metadata: typeof event.transaction.metadata, client: event.client.client_id.length > 0,
            client_metadata: typeof event.client.metadata, roles: event.authorization.roles.length,
            app_metadata: Object.keys(event.user.app_metadata).length, user_metadata: typeof event.user.user_metadata,
            provider: event.user.identities[0].provider, mfa: event.user.multifactor.length,
            ip: typeof event.request.ip, body: typeof event.request.body, http: event.request.method,
            refresh_metadata: event.refresh_token ? typeof event.refresh_token.metadata : 'none',
          });
        };
        """

    /// Jane's default picture: the Gravatar of `jane@example.com` (MD5 computed independently)
    /// with Auth0's initials fallback for the name `jane@example.com`.
    static let janePicture =
        "https://s.gravatar.com/avatar/9e26471d35a78862c17e467d87cddedf?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fja.png"

    static func event(_ reply: TestClient.Reply) throws -> JSONValue {
        #expect(reply.status == .ok, "\(reply.text)")
        let idToken = try #require(reply.json["id_token"]?.stringValue, "\(reply.text)")
        return try #require(jwtClaims(idToken)["https://t/event"], "\(reply.text)")
    }

    /// What every protocol shows the same way.
    static func expectCommon(
        _ event: JSONValue, protocol name: String, method: String = "pwd", sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(event["geo"] == "object", sourceLocation: sourceLocation)
        #expect(event["country"] == .null, sourceLocation: sourceLocation)
        #expect(event["query"] == "object", sourceLocation: sourceLocation)
        #expect(event["picture"] == .string(janePicture), sourceLocation: sourceLocation)
        #expect(event["method"] == .string(method), sourceLocation: sourceLocation)
        #expect(event["strategy"] == "auth0", sourceLocation: sourceLocation)
        #expect(event["tenant"] == "string", sourceLocation: sourceLocation)
        #expect(event["protocol"] == .string(name), sourceLocation: sourceLocation)
        #expect(event["metadata"] == "object", sourceLocation: sourceLocation)
        #expect(event["client"] == true, sourceLocation: sourceLocation)
        #expect(event["client_metadata"] == "object", sourceLocation: sourceLocation)
        #expect(event["roles"] == .number(0), sourceLocation: sourceLocation)
        #expect(event["app_metadata"] == .number(0), sourceLocation: sourceLocation)
        #expect(event["user_metadata"] == "object", sourceLocation: sourceLocation)
        #expect(event["provider"] == "auth0", sourceLocation: sourceLocation)
        #expect(event["mfa"] == .number(0), sourceLocation: sourceLocation)
        #expect(event["ip"] == "string", sourceLocation: sourceLocation)
        #expect(event["body"] == "object", sourceLocation: sourceLocation)
    }

    static func expectNothingRequested(_ event: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(event["x"] == .null, sourceLocation: sourceLocation)
        #expect(event["acr"] == .number(0), sourceLocation: sourceLocation)
        #expect(event["ui"] == .number(0), sourceLocation: sourceLocation)
        #expect(event["prompt"] == .number(0), sourceLocation: sourceLocation)
        #expect(event["locale"] == "en", sourceLocation: sourceLocation)
    }

    @Test("browser login, SSO, password, password-realm and refresh: every path is there")
    func everyProtocol() async throws {
        try await TestServer.run { client in
            let (_, app, _) = try await PostLoginTests.setUp(client, [Code(name: "reader", code: Self.reader)])

            // The code flow, asking for locales, an ACR, a prompt and a custom parameter.
            let pkce = PKCEPair.make()
            let callback = try await AuthorizationCodeFlowTests.login(
                client, app: app, pkce: pkce, scope: "openid profile offline_access",
                extra: "&x=1&ui_locales=fr-CA%20fr&acr_values=urn:example:loa:2&prompt=login")
            let code = try #require(callback.redirectQuery["code"], "\(callback.location ?? callback.text)")
            let browser = try Self.event(try await PostLoginTests.exchange(client, app, code: code, verifier: pkce.verifier))
            Self.expectCommon(browser, protocol: "oidc-basic-profile")
            #expect(browser["x"] == "1")
            #expect(browser["acr"] == .number(1))
            #expect(browser["ui"] == .number(2))
            #expect(browser["prompt"] == .number(1))
            #expect(browser["locale"] == "fr-CA")
            #expect(browser["logins"] == .number(1))
            #expect(browser["scopes"] == .number(3))
            #expect(browser["http"] == "POST")
            #expect(browser["refresh_metadata"] == "none")

            // SSO: the session is re-used, nothing extra asked.
            let sso = try await client.request(
                .get,
                "/authorize?response_type=code&client_id=\(app.id)&redirect_uri=\(AuthorizationCodeFlowTests.callback)&state=again"
                    + "&scope=openid%20profile&code_challenge=\(pkce.challenge)&code_challenge_method=S256")
            let ssoCode = try #require(sso.redirectQuery["code"], "\(sso.location ?? sso.text)")
            let ssoEvent = try Self.event(try await PostLoginTests.exchange(client, app, code: ssoCode, verifier: pkce.verifier))
            Self.expectCommon(ssoEvent, protocol: "oidc-basic-profile")
            Self.expectNothingRequested(ssoEvent)
            #expect(ssoEvent["http"] == "GET")

            // password-realm, then the plain password grant: back-channel, no /authorize query.
            let realm = try await client.form("/oauth/token", PostLoginTests.passwordRealm(app, scope: "openid profile offline_access"))
            let realmEvent = try Self.event(realm)
            Self.expectCommon(realmEvent, protocol: "oauth2-password")
            Self.expectNothingRequested(realmEvent)
            #expect(realmEvent["logins"] == .number(2))

            let password = try await client.form(
                "/oauth/token",
                [
                    "grant_type": "password", "client_id": app.id, "client_secret": app.secret ?? "", "username": "jane@example.com",
                    "password": "correct-horse-battery", "scope": "openid profile",
                ])
            let passwordEvent = try Self.event(password)
            Self.expectCommon(passwordEvent, protocol: "oauth2-password")
            Self.expectNothingRequested(passwordEvent)

            // refresh_token: the token's metadata is an object.
            let refreshToken = try #require(realm.json["refresh_token"]?.stringValue)
            let refreshed = try await client.form(
                "/oauth/token",
                ["grant_type": "refresh_token", "client_id": app.id, "client_secret": app.secret ?? "", "refresh_token": refreshToken])
            let refreshEvent = try Self.event(refreshed)
            Self.expectCommon(refreshEvent, protocol: "oauth2-refresh-token")
            Self.expectNothingRequested(refreshEvent)
            #expect(refreshEvent["refresh_metadata"] == "object")
        }
    }

    @Test("credentials-exchange: geoip is an object, there is no query, resource_server and transaction are there")
    func credentialsExchange() async throws {
        try await TestServer.run { client in
            let (_, fields) = try await CredentialsExchangeTests.setUp(
                client,
                codes: [
                    """
                    exports.onExecuteCredentialsExchange = async (event, api) => {
                      api.accessToken.setCustomClaim('https://t/event', {
                        geo: typeof event.request.geoip, country: event.request.geoip.countryCode ?? null, query: 'query' in event.request,
                        api: event.resource_server.identifier, scopes: event.transaction.requested_scopes.length,
                        claims: typeof event.accessToken.customClaims, tenant: typeof event.tenant.id, body: typeof event.request.body,
                      });
                    };
                    """
                ])
            let reply = try await client.form("/oauth/token", fields)
            #expect(reply.status == .ok, "\(reply.text)")
            let accessToken = try #require(reply.json["access_token"]?.stringValue)
            let event = try #require(jwtClaims(accessToken)["https://t/event"])
            #expect(event["geo"] == "object")
            #expect(event["country"] == .null)
            #expect(event["query"] == false)
            #expect(event["api"] == "https://api.example/")
            #expect(event["scopes"] == .number(1))
            #expect(event["claims"] == "object")
            #expect(event["tenant"] == "string")
            #expect(event["body"] == "object")
        }
    }

    @Test("event.session and event.refresh_token carry their metadata and expiry when the login holds them")
    func sessionAndRefreshTokenMetadata() {
        let user = UserRecord(
            user_id: "auth0|1", connection: "Username-Password-Authentication", email: "jane@example.com",
            created_at: "2024-01-01T00:00:00.000Z", updated_at: "2024-01-01T00:00:00.000Z")
        let session = SessionRecord(
            id: "sid-1", user_id: "auth0|1", connection: "Username-Password-Authentication", authenticated_at: 1_000, created_at: 1_000,
            expires_at: 90_000_000, clients: ["app"], idle_expires_at: 5_000_000, session_metadata: ["device": "phone"])
        let token = RefreshTokenRecord(
            id: "rt-1", family_id: "f", client_id: "app", user_id: "auth0|1", scope: "openid offline_access", audience: nil,
            session_id: "sid-1", auth_time: 1, created_at: 1_000, expires_at: nil, idle_expires_at: 7_000_000,
            refresh_token_metadata: ["device-name": "laptop"])
        let client = ClientRecord(client_id: "app", client_secret: nil, name: "App")
        let context = PostLoginContext(
            loginProtocol: .refreshToken, user: user, client: client,
            request: ActionEventRequest(ip: "192.0.2.1", method: "POST", hostname: nil, userAgent: nil, language: nil),
            requestedScopes: ScopeList("openid"), audience: nil, authenticatedAt: 1_000, sessionID: "sid-1", refreshToken: token,
            configurationVersion: 1, session: session)
        let event = context.event(connection: nil, roles: [], tenant: "t", geoip: nil)
        #expect(event["session"]?["id"] == "sid-1")
        #expect(event["session"]?["metadata"] == .object(["device": "phone"]))
        #expect(event["session"]?["idle_expires_at"] == .string(Timestamp.iso8601(5_000_000)))
        #expect(event["refresh_token"]?["metadata"] == .object(["device-name": "laptop"]))
        #expect(event["refresh_token"]?["idle_expires_at"] == .string(Timestamp.iso8601(7_000_000)))
        #expect(event["request"]?["query"] == .object([:]))
        #expect(event["request"]?["geoip"] == .object([:]))
        #expect(event["transaction"]?["locale"] == "en")
    }
}
