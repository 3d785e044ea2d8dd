import GatehouseCore
import GatehouseStorage

/// `refresh_token` (RFC 6749 §6) with rotation and reuse detection: each exchange retires the
/// presented token and issues a new one in the same family; presenting a retired token again
/// revokes the whole family (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
struct RefreshTokenGrant: GrantHandler {
    let grantType = "refresh_token"
    let storage: Storage
    let completion: LoginCompletion

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        let presented = try request.required("refresh_token")
        let now = Timestamp.nowMillis()
        guard let token = try await storage.read({ try await $0.refreshTokens.find(tokenHash: SecretComparison.digest(presented)) }),
            token.client_id == request.client.client_id
        else { throw OAuthError(.invalidGrant, "Unknown or invalid refresh token.", status: 403) }
        guard token.revoked_at == nil else {
            throw OAuthError(.invalidGrant, "Unknown or invalid refresh token.", status: 403)
        }
        if let expiresAt = token.endsAt, expiresAt <= now {
            throw OAuthError(.invalidGrant, "The refresh token has expired.", status: 403)
        }
        let rotating = request.client.refresh_token.rotation_type == "rotating"
        if rotating {
            let claimed = try await storage.read { try await $0.refreshTokens.markRotated(id: token.id, at: now) }
            guard claimed else {
                try await storage.read { try await $0.refreshTokens.revokeFamily(token.family_id, at: now) }
                throw OAuthError(
                    .invalidGrant, "Unknown or invalid refresh token. It was already used; every token of this login is now revoked.",
                    status: 403)
            }
        }
        guard let user = try await storage.read({ try await $0.users.get(token.user_id) }), !user.blocked else {
            throw OAuthError(.invalidGrant, "The user of this refresh token no longer exists or is blocked.", status: 403)
        }
        // A narrower scope may be asked for (§6); never a wider one.
        let original = ScopeList(token.scope)
        let requested = request["scope"].map { ScopeList($0).filter(original.contains) } ?? original
        // Auth0 runs post-login again on every refresh-token exchange; its claims and scopes
        // shape the new tokens.
        let attempt = LoginAttempt(
            loginProtocol: .refreshToken, userID: user.user_id, clientID: request.client.client_id, requestedScope: requested.string,
            audience: token.audience, authenticatedAt: token.auth_time * 1000, refreshToken: token, freshAuthentication: false,
            countsAsLogin: false)
        return try await completion.tokens(
            attempt, user: user, client: request.client, request: request.eventRequest, configurationVersion: request.configuration.version)
    }
}
