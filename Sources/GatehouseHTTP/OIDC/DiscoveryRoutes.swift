import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// OpenID Provider metadata (OIDC Discovery 1.0 §3) and the JWKS (RFC 7517).
///
/// Only endpoints this server serves are advertised: there is no Dynamic Client Registration
/// (RFC 7591; Auth0 has it off by default), so no `registration_endpoint`.
struct DiscoveryRoutes {
    let services: IdentityServices

    func register(on router: Router<GatehouseRequestContext>) {
        let document = metadata().jsonText()
        router.get(".well-known/openid-configuration") { _, _ in
            JSONResponse.raw(document, cacheSeconds: 300)
        }
        let keyring = services.keyring
        router.get(".well-known/jwks.json") { _, _ in
            try? await keyring.refresh()
            return JSONResponse.raw(await keyring.jwksJSON, cacheSeconds: 60)
        }
    }

    func metadata() -> JSONValue {
        let issuer = services.configuration.issuer
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        return .object([
            "issuer": .string(issuer),
            "authorization_endpoint": .string(issuer + "authorize"),
            "token_endpoint": .string(issuer + "oauth/token"),
            "userinfo_endpoint": .string(issuer + "userinfo"),
            "revocation_endpoint": .string(issuer + "oauth/revoke"),
            "revocation_endpoint_auth_methods_supported": strings(["client_secret_basic", "client_secret_post", "none"]),
            "jwks_uri": .string(issuer + ".well-known/jwks.json"),
            "end_session_endpoint": .string(issuer + "oidc/logout"),
            "scopes_supported": strings(["openid", "profile", "email", "phone", "offline_access"]),
            "response_types_supported": strings(["code"]),
            "response_modes_supported": strings(["query", "form_post"]),
            "grant_types_supported": strings(services.grants.grantTypes),
            "subject_types_supported": strings(["public"]),
            "id_token_signing_alg_values_supported": strings(["RS256"]),
            "token_endpoint_auth_methods_supported": strings(["client_secret_basic", "client_secret_post", "none"]),
            "code_challenge_methods_supported": strings(["S256"]),
            "claims_supported": strings([
                "aud", "auth_time", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss",
                "name", "nickname", "picture", "sub", "sid", "nonce", "updated_at",
            ]),
            "request_uri_parameter_supported": .bool(false),
        ])
    }
}
