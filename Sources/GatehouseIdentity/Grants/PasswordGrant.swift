import GatehouseCore
import GatehouseStorage

/// Resource Owner Password (RFC 6749 §4.3) as `password`, and Auth0's
/// `http://auth0.com/oauth/grant-type/password-realm` whose `realm` names the connection.
struct PasswordGrant: GrantHandler {
    static let realmGrantType = "http://auth0.com/oauth/grant-type/password-realm"
    /// The connection `password` (without a realm) authenticates against: Auth0's tenant "default directory".
    static let defaultDirectory = "Username-Password-Authentication"

    let users: UserDirectory
    let storage: Storage
    let completion: LoginCompletion
    let realmRequired: Bool

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
        let attempt = LoginAttempt(
            loginProtocol: .password, userID: user.user_id, clientID: request.client.client_id,
            requestedScope: request["scope"] ?? "", audience: request["audience"], authenticatedAt: Timestamp.nowMillis(),
            freshAuthentication: true, countsAsLogin: true)
        return try await completion.tokens(
            attempt, user: user, client: request.client, request: request.eventRequest, configurationVersion: request.configuration.version)
    }
}
