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
        do {
            return try check(try await keyring.verifySignature(token), audience: audience)
        } catch let error as OAuthError {
            throw error
        } catch {
            // Perhaps signed with a key another instance just created: re-read the keys once.
            try? await keyring.refresh(ifOlderThan: .seconds(5))
            guard let retried = try? await keyring.verifySignature(token) else {
                throw OAuthError(.invalidToken, "the access token's signature or format is invalid", status: 401)
            }
            return try check(retried, audience: audience)
        }
    }

    private func check(_ claims: ClaimSet, audience: String) throws -> ClaimSet {
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
