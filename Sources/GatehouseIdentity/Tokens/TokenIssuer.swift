import GatehouseCore
import GatehouseStorage

/// Builds and signs access and ID tokens. Issuing a JWT needs no database write.
public struct TokenIssuer: Sendable {
    let keyring: SigningKeyring
    let configuration: GatehouseConfiguration

    public init(keyring: SigningKeyring, configuration: GatehouseConfiguration) {
        self.keyring = keyring
        self.configuration = configuration
    }

    var issuer: String { configuration.issuer }
    var userinfoAudience: String { issuer + "userinfo" }

    /// An access token for a user (RFC 9068 profile, Auth0's claim set): `aud` is the API, plus
    /// `{issuer}userinfo` when `openid` was granted; `permissions` when the API uses RBAC with the
    /// `access_token_authz` dialect.
    public func userAccessToken(
        userID: String, client: ClientRecord, api: ResourceServerRecord?, scope: ScopeList,
        permissions: [String]?, extraClaims: [String: JSONValue] = [:]
    ) async throws -> (token: String, expiresIn: Int) {
        let lifetime = api?.token_lifetime ?? configuration.defaultAccessTokenLifetime
        var audiences: [String] = []
        if let api { audiences.append(api.identifier) }
        if scope.contains("openid") || api == nil { audiences.append(userinfoAudience) }
        var claims = extraClaims
        let now = Timestamp.nowSeconds()
        claims["iss"] = .string(issuer)
        claims["sub"] = .string(userID)
        claims["aud"] = audiences.count == 1 ? .string(audiences[0]) : .array(audiences.map(JSONValue.string))
        claims["iat"] = .number(Double(now))
        claims["exp"] = .number(Double(now + Int64(lifetime)))
        claims["scope"] = .string(scope.string)
        claims["azp"] = .string(client.client_id)
        if let permissions { claims["permissions"] = .array(permissions.map(JSONValue.string)) }
        return (try await keyring.sign(ClaimSet(claims)), lifetime)
    }

    /// An access token for a machine-to-machine client (`gty: client-credentials`, `sub` = `{client_id}@clients`).
    public func clientAccessToken(
        client: ClientRecord, api: ResourceServerRecord, scope: ScopeList, extraClaims: [String: JSONValue] = [:]
    ) async throws -> (token: String, expiresIn: Int) {
        let now = Timestamp.nowSeconds()
        var claims = extraClaims
        claims["iss"] = .string(issuer)
        claims["sub"] = .string("\(client.client_id)@clients")
        claims["aud"] = .string(api.identifier)
        claims["iat"] = .number(Double(now))
        claims["exp"] = .number(Double(now + Int64(api.token_lifetime)))
        claims["scope"] = .string(scope.string)
        claims["gty"] = "client-credentials"
        claims["azp"] = .string(client.client_id)
        if api.addsPermissionsClaim { claims["permissions"] = .array(scope.values.map(JSONValue.string)) }
        return (try await keyring.sign(ClaimSet(claims)), api.token_lifetime)
    }

    /// An ID token (OIDC Core §2) with the profile and email claims the scope asks for.
    public func idToken(
        user: UserRecord, client: ClientRecord, scope: ScopeList, nonce: String?, authTime: Int64,
        sessionID: String?, extraClaims: [String: JSONValue] = [:]
    ) async throws -> String {
        let now = Timestamp.nowSeconds()
        var claims = extraClaims.merging(Self.profileClaims(of: user, scope: scope)) { _, profile in profile }
        claims["iss"] = .string(issuer)
        claims["aud"] = .string(client.client_id)
        claims["iat"] = .number(Double(now))
        claims["exp"] = .number(Double(now + Int64(client.jwt_configuration.lifetime_in_seconds)))
        claims["auth_time"] = .number(Double(authTime))
        if let nonce { claims["nonce"] = .string(nonce) }
        if let sessionID { claims["sid"] = .string(sessionID) }
        return try await keyring.sign(ClaimSet(claims))
    }

    /// The standard claims of OIDC Core §5.1 for the granted scopes (`sub` always): the ID token's
    /// profile part and the `/userinfo` response.
    public static func profileClaims(of user: UserRecord, scope: ScopeList) -> [String: JSONValue] {
        var claims: [String: JSONValue] = ["sub": .string(user.user_id)]
        func put(_ name: String, _ value: String?) {
            if let value { claims[name] = .string(value) }
        }
        if scope.contains("profile") {
            put("name", user.name ?? user.email)
            put("nickname", user.nickname ?? user.email?.split(separator: "@").first.map(String.init))
            put("given_name", user.given_name)
            put("family_name", user.family_name)
            put("picture", user.picture)
            put("preferred_username", user.username)
            put("updated_at", user.updated_at)
        }
        if scope.contains("email") {
            put("email", user.email)
            if user.email != nil { claims["email_verified"] = .bool(user.email_verified) }
        }
        if scope.contains("phone"), let phone = user.phone_number {
            claims["phone_number"] = .string(phone)
            claims["phone_number_verified"] = .bool(user.phone_verified ?? false)
        }
        return claims
    }
}
