import GatehouseCore
import GatehouseStorage

/// `authorization_code` (RFC 6749 §4.1.3) with PKCE (RFC 7636 §4.6).
struct AuthorizationCodeGrant: GrantHandler {
    let grantType = "authorization_code"
    let storage: Storage
    let loginTokens: LoginTokenIssuer

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        let code = try request.required("code")
        let codeHash = SecretComparison.digest(code)
        let now = Timestamp.nowMillis()
        guard let record = try await storage.read({ try await $0.authorizationCodes.consume(codeHash: codeHash, now: now) }) else {
            try await revokeWhatAReplayedCodeIssued(codeHash, at: now)
            throw OAuthError(.invalidGrant, "Invalid authorization code", status: 403)
        }
        guard record.client_id == request.client.client_id else {
            throw OAuthError(.invalidGrant, "Invalid authorization code", status: 403)
        }
        // RFC 6749 §4.1.3: redirect_uri is required, and identical, when it was sent to /authorize.
        if record.redirect_uri_sent == true && request["redirect_uri"] == nil {
            throw OAuthError(.invalidRequest, "Missing required parameter: redirect_uri (it was sent to /authorize)")
        }
        if let redirectURI = request["redirect_uri"], redirectURI != record.redirect_uri {
            throw OAuthError(.invalidGrant, "redirect_uri does not match the one used in /authorize", status: 403)
        }
        if let challenge = record.code_challenge {
            guard let verifier = request["code_verifier"] else {
                throw OAuthError(.invalidGrant, "Missing required parameter: code_verifier", status: 403)
            }
            guard PKCE.verify(verifier: verifier, challenge: challenge, method: record.code_challenge_method ?? "S256") else {
                throw OAuthError(.invalidGrant, "Failed to verify code verifier", status: 403)
            }
        }
        guard let user = try await storage.read({ try await $0.users.get(record.user_id) }), !user.blocked else {
            throw OAuthError(.invalidGrant, "The user of this code no longer exists or is blocked.", status: 403)
        }
        // The refresh tokens this exchange issues form a family noted with the code, so that a
        // replay of the code can revoke them.
        let family = RandomIdentifier.token(byteCount: 16)
        try await storage.read { try await $0.authorizationCodes.setRefreshFamily(codeHash: codeHash, familyID: family) }
        return try await loginTokens.issue(
            LoginGrant(
                user: user, client: request.client, requestedScope: ScopeList(record.scope), audience: record.audience,
                nonce: record.nonce, authTime: record.auth_time, sessionID: record.session_id, refreshFamilyID: family,
                customization: record.customization))
    }

    /// RFC 6749 §4.1.2: "If an authorization code is used more than once, the authorization server
    /// MUST deny the request and SHOULD revoke (when possible) all tokens previously issued based
    /// on that authorization code." Refresh tokens are revoked; access tokens are signed JWTs that
    /// cannot be recalled and end with their (short) lifetime.
    private func revokeWhatAReplayedCodeIssued(_ codeHash: String, at now: EpochMillis) async throws {
        guard let family = try await storage.read({ try await $0.authorizationCodes.redeemedFamily(codeHash: codeHash) }),
            !family.isEmpty
        else { return }
        try await storage.transaction { try await $0.refreshTokens.revokeFamily(family, at: now) }
    }
}
