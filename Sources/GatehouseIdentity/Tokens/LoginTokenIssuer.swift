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
    /// Claims and scope changes from the post-login flow.
    public var customization: TokenCustomization?
    /// When rotating a refresh token: its metadata, which the new token keeps.
    public var refreshMetadata: [String: String]?
    /// `api.refreshToken.*` of the flow, for the new refresh token.
    public var refreshChanges = SessionChanges()

    public init(
        user: UserRecord, client: ClientRecord, requestedScope: ScopeList, audience: String?, nonce: String?,
        authTime: Int64, sessionID: String?, refreshFamilyID: String? = nil, customization: TokenCustomization? = nil
    ) {
        self.customization = customization
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
    let operatorAccess: OperatorAccess

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
        // An end user never holds more than the current-user scopes of the Management API
        // (`ManagementScopes.currentUser`), whatever the API's scope list says — except on the
        // dashboard's client, where the operator scopes of the user's roles join them.
        let isManagementAPI = api?.identifier == tokens.configuration.managementAudience
        let managementScopes =
            isManagementAPI
            ? try await operatorAccess.managementScopes(userID: grant.user.user_id, clientID: grant.client.client_id) : []
        let scope = grant.requestedScope.filter { scope in
            if scope == "offline_access" { return canRefresh }
            if ScopeList.oidcScopes.contains(scope) { return true }
            if isManagementAPI { return managementScopes.contains(scope) }
            guard apiScopes.contains(scope) else { return false }
            guard let api, api.enforce_policies else { return true }
            return userPermissions.contains(scope)
        }
        // Actions' scope changes apply to the access token only (`auth0-actions.md` §3.1); what
        // the ID and refresh tokens are issued for stays what was granted.
        let customization = grant.customization ?? TokenCustomization()
        let removed = Set(customization.removed_scopes)
        let added = customization.added_scopes.filter {
            !scope.contains($0) && (!isManagementAPI || managementScopes.contains($0))
        }
        let accessScope = ScopeList(values: (scope.values + added).filter { !removed.contains($0) })
        let access = try await tokens.userAccessToken(
            userID: grant.user.user_id, client: grant.client, api: api, scope: accessScope,
            permissions: api?.addsPermissionsClaim == true ? userPermissions : nil, extraClaims: customization.access_token_claims)
        var response = TokenResponse(access_token: access.token, scope: accessScope.string, expires_in: access.expiresIn)
        response.userID = grant.user.user_id
        response.userName = grant.user.logName
        if scope.contains("openid") {
            response.id_token = try await tokens.idToken(
                user: grant.user, client: grant.client, scope: scope, nonce: grant.nonce, authTime: grant.authTime,
                sessionID: grant.sessionID, extraClaims: customization.idTokenClaims)
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
        let record = try RefreshTokenRecord(
            id: RandomIdentifier.token(byteCount: 16), family_id: grant.refreshFamilyID ?? RandomIdentifier.token(byteCount: 16),
            client_id: grant.client.client_id, user_id: grant.user.user_id, scope: scope.string,
            audience: grant.audience, session_id: grant.sessionID, auth_time: grant.authTime, created_at: now,
            expires_at: expiresAt, refresh_token_metadata: grant.refreshMetadata
        ).applying(grant.refreshChanges)
        try await storage.read { try await $0.refreshTokens.insert(tokenHash: SecretComparison.digest(token), record) }
        return token
    }
}

extension TokenCustomization {
    /// The ID token's extra claims: the actions' custom claims and, after MFA, `amr`.
    var idTokenClaims: [String: JSONValue] {
        var claims = id_token_claims
        if let amr { claims["amr"] = .array(amr.map(JSONValue.string)) }
        return claims
    }
}
