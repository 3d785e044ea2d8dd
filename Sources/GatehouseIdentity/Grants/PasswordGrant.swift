import GatehouseCore
import GatehouseStorage

/// Resource Owner Password (RFC 6749 §4.3) as `password`, and Auth0's
/// `http://auth0.com/oauth/grant-type/password-realm` whose `realm` names the connection.
struct PasswordGrant: GrantHandler {
    static let realmGrantType = "http://auth0.com/oauth/grant-type/password-realm"
    /// The connection `password` (without a realm) authenticates against: Auth0's tenant "default directory".
    static let defaultDirectory = "Username-Password-Authentication"

    let users: UserDirectory
    let loginTokens: LoginTokenIssuer
    let storage: Storage
    let completion: TokenEndpointLogin
    let realmRequired: Bool

    init(users: UserDirectory, loginTokens: LoginTokenIssuer, storage: Storage, postLogin: PostLoginFlow?, realmRequired: Bool) {
        self.users = users
        self.loginTokens = loginTokens
        self.storage = storage
        self.completion = TokenEndpointLogin(storage: storage, postLogin: postLogin)
        self.realmRequired = realmRequired
    }

    var grantType: String { realmRequired ? Self.realmGrantType : "password" }

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        let username = try request.required("username")
        let password = try request.required("password")
        let realm = realmRequired ? try request.required("realm") : Self.defaultDirectory
        guard let connection = try await storage.read({ try await $0.connections.get(name: realm) }) else {
            throw OAuthError(.invalidRequest, "Unknown realm: \(realm)")
        }
        guard connection.enabled_clients.contains(request.client.client_id) else {
            throw OAuthError(.unauthorizedClient, "The connection \(realm) is not enabled for this client.", status: 403)
        }
        let user: UserRecord
        do {
            user = try await users.verify(connection: realm, login: username, password: password, ip: request.ip)
        } catch let failure as UserDirectory.LoginFailure {
            throw failure.oauthError
        }
        let now = Timestamp.nowMillis()
        let decision = try await completion.complete(
            PostLoginContext(
                loginProtocol: .password, user: user, client: request.client, request: request.eventRequest,
                requestedScopes: ScopeList(request["scope"]), audience: request["audience"], authenticatedAt: now, sessionID: nil,
                configurationVersion: request.configuration.version),
            countsAsLogin: true)
        var response = try await loginTokens.issue(
            LoginGrant(
                user: user, client: request.client, requestedScope: ScopeList(request["scope"]),
                audience: request["audience"], nonce: nil, authTime: now / 1000, sessionID: nil, customization: decision.tokens))
        response.executionIDs = decision.executionIDs
        return response
    }
}
