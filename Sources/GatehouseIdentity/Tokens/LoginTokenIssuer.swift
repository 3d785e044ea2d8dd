import GatehouseCore
import GatehouseStorage

/// What a completed user authentication is allowed to turn into tokens.
public struct LoginGrant: Sendable {
    public var user: UserRecord
    public var client: ClientRecord
    public var requestedScope: ScopeList
    public var audience: String?
    public var nonce: String?
    public var authTime: Int64
    public var sessionID: String?
    /// When rotating a refresh token: its family, so the new token joins it.
    public var refreshFamilyID: String?

    public init(
        user: UserRecord, client: ClientRecord, requestedScope: ScopeList, audience: String?, nonce: String?,
        authTime: Int64, sessionID: String?, refreshFamilyID: String? = nil
    ) {
        self.user = user
        self.client = client
        self.requestedScope = requestedScope
        self.audience = audience
        self.nonce = nonce
        self.authTime = authTime
        self.sessionID = sessionID
        self.refreshFamilyID = refreshFamilyID
    }
}

/// Turns a user's authentication into the token response: access token, ID token when `openid`
/// was asked for, and a refresh token when `offline_access` was asked for and is allowed.
public struct LoginTokenIssuer: Sendable {
    let storage: Storage
    let tokens: TokenIssuer

    public func issue(_ grant: LoginGrant) async throws -> TokenResponse {
        let api: ResourceServerRecord?
        if let audience = grant.audience {
            guard let found = try await storage.read({ try await $0.resourceServers.get(idOrIdentifier: audience) }),
                found.identifier == audience
            else { throw OAuthError(.accessDenied, "Service not found: \(audience)", status: 403) }
            api = found
        } else {
            api = nil
        }
        let userPermissions = try await permissions(of: grant.user.user_id, api: api)
        let apiScopes = Set(api?.scopes.map(\.value) ?? [])
        let canRefresh =
            grant.client.grant_types.contains("refresh_token") && (api == nil || api?.allow_offline_access == true)
        let scope = grant.requestedScope.filter { scope in
            if scope == "offline_access" { return canRefresh }
            if ScopeList.oidcScopes.contains(scope) { return true }
            guard apiScopes.contains(scope) else { return false }
            guard let api, api.enforce_policies else { return true }
            return userPermissions.contains(scope)
        }
        let access = try await tokens.userAccessToken(
            userID: grant.user.user_id, client: grant.client, api: api, scope: scope,
            permissions: api?.addsPermissionsClaim == true ? userPermissions : nil)
        var response = TokenResponse(access_token: access.token, scope: scope.string, expires_in: access.expiresIn)
        if scope.contains("openid") {
            response.id_token = try await tokens.idToken(
                user: grant.user, client: grant.client, scope: scope, nonce: grant.nonce, authTime: grant.authTime,
                sessionID: grant.sessionID)
        }
        if scope.contains("offline_access") {
            response.refresh_token = try await mintRefreshToken(grant, scope: scope)
        }
        return response
    }

    private func permissions(of userID: String, api: ResourceServerRecord?) async throws -> [String] {
        guard let api, api.enforce_policies else { return [] }
        return try await storage.read { repositories in
            let roleIDs = try await repositories.roles.roles(ofUser: userID).map(\.id)
            return try await repositories.roles.permissions(roleIDs: roleIDs)
                .filter { $0.resource_server_identifier == api.identifier }.map(\.permission_name)
        }
    }

    private func mintRefreshToken(_ grant: LoginGrant, scope: ScopeList) async throws -> String {
        let token = RandomIdentifier.token(byteCount: 48)
        let now = Timestamp.nowMillis()
        let policy = grant.client.refresh_token
        let expiresAt: EpochMillis? =
            policy.expiration_type == "expiring" && !policy.infinite_token_lifetime
            ? now + EpochMillis(policy.token_lifetime) * 1000 : nil
        let record = RefreshTokenRecord(
            id: RandomIdentifier.token(byteCount: 16), family_id: grant.refreshFamilyID ?? RandomIdentifier.token(byteCount: 16),
            client_id: grant.client.client_id, user_id: grant.user.user_id, scope: scope.string,
            audience: grant.audience, session_id: grant.sessionID, auth_time: grant.authTime, created_at: now,
            expires_at: expiresAt)
        try await storage.read { try await $0.refreshTokens.insert(tokenHash: SecretComparison.digest(token), record) }
        return token
    }
}
