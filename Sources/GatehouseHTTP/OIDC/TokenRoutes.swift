import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// `POST /oauth/token` (RFC 6749 §3.2): authenticates the client, then hands the request to the
/// handler registered for its `grant_type`.
struct TokenRoutes {
    let services: IdentityServices

    func register(on router: Router<GatehouseRequestContext>) {
        router.post("oauth/token") { request, context in
            try await exchange(request, context: context)
        }
    }

    func exchange(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let form: [String: String]
        do {
            form = try await RequestParameters.body(request, context: context)
        } catch {
            throw OAuthError(.invalidRequest, "The request body is not a valid form or JSON object.")
        }
        guard let grantType = form["grant_type"], !grantType.isEmpty else {
            throw OAuthError(.invalidRequest, "Missing required parameter: grant_type")
        }
        guard let handler = services.grants.handler(for: grantType) else {
            throw OAuthError(.unsupportedGrantType, "Unsupported grant type: \(grantType)")
        }
        let credentials = try ClientCredentials.from(authorizationHeader: request.headers[.authorization], form: form)
        let configuration = try await services.configurationCache.snapshot()
        let client = try await services.clientAuthenticator.authenticate(credentials, in: configuration)
        guard client.grant_types.contains(grantType) else {
            throw OAuthError(.unauthorizedClient, "Grant type '\(grantType)' not allowed for the client.", status: 403)
        }
        let tokenRequest = TokenRequest(
            parameters: form, client: client, configuration: configuration, ip: context.remoteIP,
            userAgent: request.headers[.userAgent])
        let response = try await handler.exchange(tokenRequest)
        return try JSONResponse.make(response, noStore: true)
    }
}
