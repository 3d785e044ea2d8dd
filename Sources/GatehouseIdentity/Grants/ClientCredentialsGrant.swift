import GatehouseCore
import GatehouseStorage

/// `client_credentials` (RFC 6749 §4.4): a machine-to-machine token for an API the client has a
/// client grant for. Scopes are the requested ones the grant allows, or all the grant's scopes
/// when none are requested (as Auth0 does).
struct ClientCredentialsGrant: GrantHandler {
    let grantType = "client_credentials"
    let tokens: TokenIssuer

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        let client = request.client
        guard !client.isPublic else {
            throw OAuthError(.unauthorizedClient, "Public clients cannot use the client_credentials grant.", status: 403)
        }
        let audience = try request.required("audience")
        let api = try await request.configuration.api(identifier: audience)
        let grant = try await request.configuration.grant(clientID: client.client_id, audience: audience)
        guard let api else {
            throw OAuthError(.accessDenied, "Service not found: \(audience)", status: 403)
        }
        guard let grant else {
            throw OAuthError(.accessDenied, "Client has not been granted scopes: \(audience)", status: 403)
        }
        let requested = ScopeList(request["scope"])
        let scope: ScopeList
        if requested.isEmpty {
            scope = ScopeList(values: grant.scope)
        } else {
            let granted = Set(grant.scope)
            scope = requested.filter(granted.contains)
            if scope.isEmpty {
                throw OAuthError(.invalidScope, "None of the requested scopes are granted to this client for \(audience).", status: 403)
            }
        }
        let access = try await tokens.clientAccessToken(client: client, api: api, scope: scope)
        return TokenResponse(access_token: access.token, scope: scope.string, expires_in: access.expiresIn)
    }
}
