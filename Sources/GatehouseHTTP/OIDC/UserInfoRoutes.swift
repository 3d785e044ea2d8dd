import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// `GET|POST /userinfo` (OIDC Core §5.3): the user's claims for the scopes of the access token.
struct UserInfoRoutes {
    let services: IdentityServices

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("userinfo") { request, _ in try await userinfo(request) }
        router.post("userinfo") { request, _ in try await userinfo(request) }
    }

    func userinfo(_ request: Request) async throws -> Response {
        guard let token = BearerToken.from(request) else {
            throw OAuthError(.invalidToken, "Missing access token: send it as Authorization: Bearer.", status: 401)
        }
        let claims = try await services.verifier.verify(token, audience: services.configuration.issuer + "userinfo")
        guard let subject = claims["sub"]?.stringValue,
            let user = try await services.storage.read({ try await $0.users.get(subject) })
        else { throw OAuthError(.invalidToken, "The user of this token no longer exists.", status: 401) }
        let scope = ScopeList(claims["scope"]?.stringValue)
        return try JSONResponse.make(JSONValue.object(TokenIssuer.profileClaims(of: user, scope: scope)), noStore: true)
    }
}

enum BearerToken {
    /// The token of an `Authorization: Bearer …` header (RFC 6750 §2.1).
    static func from(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
