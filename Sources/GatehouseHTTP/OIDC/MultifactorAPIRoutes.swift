import Foundation
import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// Auth0's MFA API for back-channel logins (Auth0 Authentication API, "Multi-factor
/// Authentication"): `GET /mfa/authenticators` and `POST /mfa/associate` with
/// `Authorization: Bearer <mfa_token>`, and `POST /mfa/challenge` with client authentication and
/// the `mfa_token` in the body. The `mfa-*` grants that finish the login are `/oauth/token`'s
/// (`TokenRoutes`). This file only parses and renders (`MultifactorAPI` in Identity decides);
/// errors are RFC 6749 bodies. The `mfa_token` is a bearer secret: it is never logged (the
/// request log line has the path only) and never reaches an action.
struct MultifactorAPIRoutes {
    let services: IdentityServices

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("mfa/authenticators") { request, _ in
            let token = try bearer(request)
            return try JSONResponse.make(try await services.multifactorAPI.authenticators(mfaToken: token), noStore: true)
        }
        router.post("mfa/associate") { request, context in
            let token = try bearer(request)
            let form = try await RequestParameters.oauthBody(request, context: context)
            let association = try await services.multifactorAPI.associate(
                mfaToken: token,
                MultifactorAPI.AssociateRequest(
                    authenticatorTypes: Self.list(form["authenticator_types"]), oobChannels: Self.list(form["oob_channels"]),
                    phoneNumber: form["phone_number"]),
                eventRequest: eventRequest(request, context: context),
                configurationVersion: try await services.configurationCache.snapshot().version)
            return try JSONResponse.make(association, noStore: true)
        }
        router.post("mfa/challenge") { request, context in
            try await challenge(request, context: context)
        }
        OAuthError.answerGetWithPostOnly(on: router, path: "mfa/associate")
        OAuthError.answerGetWithPostOnly(on: router, path: "mfa/challenge")
    }

    /// `/mfa/challenge`: the client authenticates as at the token endpoint (its
    /// `token_endpoint_auth_method`: a secret in the body or Basic, or only `client_id` for a
    /// public client), and the `mfa_token` must be its own.
    private func challenge(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let form = try await RequestParameters.oauthBody(request, context: context)
        let credentials = try ClientCredentials.from(authorizationHeader: request.headers[.authorization], form: form)
        let configuration = try await services.configurationCache.snapshot()
        let client = try await services.clientAuthenticator.authenticate(credentials, in: configuration)
        context.logNote.clientID = client.client_id
        guard let token = form["mfa_token"], !token.isEmpty else {
            throw OAuthError(.invalidRequest, "Missing required parameter: mfa_token")
        }
        let challenge = try await services.multifactorAPI.challenge(
            mfaToken: token, client: client, challengeTypes: form["challenge_type"].flatMap { $0.isEmpty ? nil : $0 },
            authenticatorID: form["authenticator_id"], eventRequest: eventRequest(request, context: context),
            configurationVersion: configuration.version)
        return try JSONResponse.make(challenge, noStore: true)
    }

    /// The `mfa_token` of `Authorization: Bearer …` (RFC 6750 §2.1).
    private func bearer(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.count > 7, header.lowercased().hasPrefix("bearer ") else {
            throw OAuthError(
                .invalidToken, "Missing Authorization header: send the mfa_token of mfa_required as 'Authorization: Bearer <mfa_token>'.",
                status: 401)
        }
        return String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// An array parameter: a JSON array (`["otp"]`, what Auth0's SDKs send), or in a form one
    /// value or several separated by spaces or commas.
    static func list(_ value: String?) -> [String] {
        guard let value, !value.isEmpty else { return [] }
        if let array = JSONValue(jsonText: value)?.arrayValue { return array.compactMap(\.stringValue) }
        return value.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
    }

    /// `event.request` of the `send-phone-message` action: this request, without its body.
    private func eventRequest(_ request: Request, context: GatehouseRequestContext) -> ActionEventRequest {
        ActionEventRequest(
            ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
            userAgent: request.headers[.userAgent], language: RequestParameters.language(request))
    }
}
