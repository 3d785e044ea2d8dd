import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// The dashboard signs its operators in as any OIDC relying party would: authorization code with
/// PKCE against this tenant's own `/authorize`, the code exchanged at `/oauth/token` (in process,
/// with the dashboard client's secret) for an ID token and a Management API access token. The
/// token's scopes are what the operator's roles grant (`OperatorAccess`); a user without an
/// operator role is told so and gets no session.
struct DashboardSignIn: Sendable {
    let services: IdentityServices
    let sessions: DashboardSessions
    let cookies: DashboardCookies
    let tokenEndpoint: InProcessResponder

    var urls: DashboardURLs { DashboardURLs(issuer: services.configuration.issuer) }

    /// What the sign-in cookie carries between `/dashboard/login` and the callback.
    struct Pending: Codable {
        var state: String
        var nonce: String
        var verifier: String
        var expires_at: EpochMillis
    }

    func dashboardClient() async throws -> ClientRecord {
        guard let id = try await services.operatorAccess.dashboardClientID(),
            let client = try await services.storage.read({ try await $0.clients.get(id) })
        else {
            throw HTTPError(
                .serviceUnavailable,
                message: "This tenant has no dashboard client: restart the server once so that provisioning creates it.")
        }
        return client
    }

    /// `GET /dashboard/login`: to `/authorize` with a fresh state, nonce and PKCE challenge.
    func begin(_ request: Request) async throws -> Response {
        let client = try await dashboardClient()
        let pending = Pending(
            state: RandomIdentifier.token(byteCount: 24), nonce: RandomIdentifier.token(byteCount: 24),
            verifier: RandomIdentifier.token(byteCount: 48), expires_at: Timestamp.nowMillis() + 600_000)
        let sealed = try services.storage.masterKey.seal(String(decoding: try JSONEncoder().encode(pending), as: UTF8.self))
        var query = URLComponents()
        query.queryItems = [
            .init(name: "response_type", value: "code"), .init(name: "client_id", value: client.client_id),
            .init(name: "redirect_uri", value: urls.callback),
            .init(name: "scope", value: (["openid", "profile", "email"] + ManagementScopes.operatorScopes).joined(separator: " ")),
            .init(name: "audience", value: services.configuration.managementAudience),
            .init(name: "state", value: pending.state), .init(name: "nonce", value: pending.nonce),
            .init(name: "code_challenge", value: PKCE.challenge(for: pending.verifier)),
            .init(name: "code_challenge_method", value: "S256"),
        ]
        let encoded = (query.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        return Response(
            status: .found,
            headers: [.location: "/authorize?" + encoded, .setCookie: cookies.signIn(sealed), .cacheControl: "no-store"])
    }

    /// `GET /dashboard/callback`: checks state against the cookie, exchanges the code, checks the
    /// ID token's nonce and the scopes, and starts the session.
    func callback(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let query = RequestParameters.query(request)
        guard let sealed = request.cookies[DashboardCookies.signInName]?.value,
            let json = try? services.storage.masterKey.open(sealed),
            let pending = try? JSONDecoder().decode(Pending.self, from: Data(json.utf8)),
            pending.expires_at > Timestamp.nowMillis()
        else {
            return DashboardPage.message(
                title: "Sign-in expired", text: "This sign-in was started too long ago or in another browser.",
                link: ("/dashboard/login", "Sign in again"),
                status: .badRequest)
        }
        guard let state = query["state"], SecretComparison.equal(state, pending.state) else {
            return DashboardPage.message(
                title: "Sign-in refused", text: "The answer from the login page does not belong to this sign-in (state mismatch).",
                link: ("/dashboard/login", "Sign in again"), status: .badRequest)
        }
        if let error = query["error"] {
            return DashboardPage.message(
                title: "Sign-in refused", text: "\(error): \(query["error_description"] ?? "")", link: ("/dashboard/login", "Try again"),
                status: .forbidden)
        }
        let client = try await dashboardClient()
        let form = [
            "grant_type": "authorization_code", "code": query["code"] ?? "", "redirect_uri": urls.callback,
            "client_id": client.client_id, "client_secret": client.client_secret ?? "", "code_verifier": pending.verifier,
        ]
        var body = URLComponents()
        body.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
        let exchange = Request(
            head: HTTPRequest(
                method: .post, scheme: nil, authority: nil, path: "/oauth/token",
                headerFields: [.contentType: "application/x-www-form-urlencoded"]),
            body: .init(buffer: ByteBuffer(string: (body.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B"))))
        let response = try await tokenEndpoint.respond(to: exchange, context: context)
        let answer = JSONValue(jsonText: String(buffer: try await response.collectedBody()))
        guard response.status == .ok, let accessToken = answer?["access_token"]?.stringValue,
            let idToken = answer?["id_token"]?.stringValue
        else {
            return DashboardPage.message(
                title: "Sign-in failed",
                text: "The token endpoint refused the code: \(answer?["error_description"]?.stringValue ?? "no reason given").",
                link: ("/dashboard/login", "Sign in again"), status: .badGateway)
        }
        let identity = try await services.verifier.verify(idToken, audience: client.client_id)
        let access = try await services.verifier.verify(accessToken, audience: services.configuration.managementAudience)
        guard identity["nonce"]?.stringValue == pending.nonce, let userID = identity["sub"]?.stringValue else {
            return DashboardPage.message(
                title: "Sign-in refused", text: "The ID token does not answer this sign-in (nonce mismatch).",
                link: ("/dashboard/login", "Sign in again"), status: .badRequest)
        }
        let scope = access["scope"]?.stringValue ?? ""
        let name = identity["email"]?.stringValue ?? identity["name"]?.stringValue ?? userID
        guard ScopeList(scope).values.contains("read:actions") else {
            var refused = DashboardPage.message(
                title: "Not an operator",
                text:
                    "You signed in as \(name), who does not hold the \(TenantBootstrap.operatorRoleName) role. An operator can assign it (see the README, \"The dashboard\").",
                link: (try await ssoLogoutURL(), "Sign in as someone else"), status: .forbidden)
            refused.headers.append(HTTPField(name: .setCookie, value: cookies.clearSignIn()))
            return refused
        }
        let expiresAt = (access["exp"]?.numberValue).map { EpochMillis($0 * 1000) } ?? Timestamp.nowMillis()
        let (secret, session) = try await sessions.start(
            userID: userID, userName: name, ssoSessionID: identity["sid"]?.stringValue, accessToken: accessToken, scope: scope,
            tokenExpiresAt: expiresAt)
        var headers: HTTPFields = [.location: "/dashboard/", .cacheControl: "no-store"]
        headers.append(HTTPField(name: .setCookie, value: cookies.clearSignIn()))
        headers.append(
            HTTPField(name: .setCookie, value: cookies.session(secret, maxAge: Int((session.expires_at - session.created_at) / 1000))))
        return Response(status: .found, headers: headers)
    }

    /// `POST /dashboard/logout`: ends the dashboard session, then the SSO session through
    /// `/v2/logout`, which comes back to `/dashboard/signed-out`.
    func signOut(_ request: Request, context: DashboardRequestContext) async throws -> Response {
        try await sessions.end(context.session.id)
        return try await ssoLogout()
    }

    /// `/v2/logout` for the dashboard's client: ends the SSO session, then back to the
    /// signed-out page.
    func ssoLogoutURL() async throws -> String {
        let client = try await dashboardClient()
        var query = URLComponents()
        query.queryItems = [.init(name: "client_id", value: client.client_id), .init(name: "returnTo", value: urls.signedOut)]
        return "/v2/logout?" + (query.percentEncodedQuery ?? "")
    }

    /// To `/v2/logout` (ends the SSO session) and back to the signed-out page.
    func ssoLogout() async throws -> Response {
        var headers: HTTPFields = [.location: try await ssoLogoutURL(), .cacheControl: "no-store"]
        headers.append(HTTPField(name: .setCookie, value: cookies.clearSession()))
        return Response(status: .seeOther, headers: headers)
    }
}
