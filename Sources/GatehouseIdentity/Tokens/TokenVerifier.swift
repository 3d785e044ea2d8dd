import GatehouseCore

/// Verifies access tokens this server issued, for its own APIs (`/userinfo`, `/api/v2`).
public struct TokenVerifier: Sendable {
    let keyring: SigningKeyring
    let issuer: String

    public init(keyring: SigningKeyring, issuer: String) {
        self.keyring = keyring
        self.issuer = issuer
    }

    /// The token's claims when its signature, issuer, expiry and audience hold; an
    /// `invalid_token` error (RFC 6750 §3.1) otherwise.
    public func verify(_ token: String, audience: String) async throws -> ClaimSet {
        let claims: ClaimSet
        do {
            claims = try await keyring.verifySignature(token)
        } catch {
            throw OAuthError(.invalidToken, "the access token's signature or format is invalid", status: 401)
        }
        guard claims["iss"]?.stringValue == issuer else {
            throw OAuthError(.invalidToken, "the access token was not issued by this server", status: 401)
        }
        guard case .number(let exp) = claims["exp"], Double(Timestamp.nowSeconds()) < exp else {
            throw OAuthError(.invalidToken, "the access token has expired", status: 401)
        }
        guard claims.audiences.contains(audience) else {
            throw OAuthError(.invalidToken, "the access token is not meant for \(audience)", status: 401)
        }
        return claims
    }
}
