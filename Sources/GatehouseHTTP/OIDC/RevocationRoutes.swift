import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `POST /oauth/revoke` (RFC 7009; Auth0's "Revoke Refresh Token"): a client revokes one of its
/// refresh tokens, and with it the token's whole rotation family. Access tokens are signed JWTs
/// that cannot be recalled: revoking one is accepted and changes nothing (RFC 7009 §2.2 lets a
/// server not support it), as for any token the server does not know.
struct RevocationRoutes {
    let services: IdentityServices

    func register(on router: Router<GatehouseRequestContext>) {
        router.post("oauth/revoke") { request, context in try await revoke(request, context: context) }
        OAuthError.answerGetWithPostOnly(on: router, path: "oauth/revoke")
    }

    func revoke(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let form = try await RequestParameters.oauthBody(request, context: context)
        guard let token = form["token"], !token.isEmpty else { throw OAuthError(.invalidRequest, "Missing required parameter: token") }
        if let hint = form["token_type_hint"], !["refresh_token", "access_token"].contains(hint) {
            throw OAuthError(OAuthError.Code("unsupported_token_type"), "Unsupported token_type_hint: \(hint)")
        }
        let credentials = try ClientCredentials.from(authorizationHeader: request.headers[.authorization], form: form)
        let client = try await services.clientAuthenticator.authenticate(credentials, in: try await services.configurationCache.snapshot())
        let now = Timestamp.nowMillis()
        if let record = try await services.storage.read({ try await $0.refreshTokens.find(tokenHash: SecretComparison.digest(token)) }) {
            // RFC 7009 §2.1: a client may revoke only what was issued to it.
            guard record.client_id == client.client_id else {
                throw OAuthError(.invalidRequest, "The token was not issued to this client.")
            }
            try await services.storage.transaction { try await $0.refreshTokens.revokeFamily(record.family_id, at: now) }
            await services.flows?.recorder.record(logs: [
                LogRecord(
                    log_id: RandomIdentifier.hex(byteCount: 16), date: Timestamp.iso8601(now), type: "srrt",
                    description: "Successful Refresh Token Revocation", client_id: client.client_id, client_name: client.name,
                    ip: context.remoteIP, user_agent: request.headers[.userAgent], user_id: record.user_id, details: .object([:]))
            ])
        }
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }
}
