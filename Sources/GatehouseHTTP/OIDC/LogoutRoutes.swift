import GatehouseCore
import GatehouseIdentity
import HTTPTypes
import Hummingbird

/// Ending the SSO session: Auth0's `/v2/logout` and OIDC RP-Initiated Logout 1.0 (`/oidc/logout`).
/// A redirect target must be one of the client's `allowed_logout_urls`.
struct LogoutRoutes {
    let services: IdentityServices
    let pages: PageRenderer
    let responder: AuthorizationResponder
    let authorization: AuthorizationService
    let cookies: SessionCookies

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("v2/logout") { request, _ in try await auth0Logout(request) }
        router.get("oidc/logout") { request, _ in try await oidcLogout(request) }
        router.post("oidc/logout") { request, context in
            let form = (try? await RequestParameters.body(request, context: context)) ?? [:]
            return try await oidcLogout(request, extra: form)
        }
    }

    private func loggedOut(_ request: Request, redirectTo target: String?, parameters: [(String, String?)] = []) async throws -> Response {
        try await authorization.endSession(secret: request.cookies[SessionCookies.sessionName]?.value)
        var response =
            target.map { responder.redirect(to: $0, parameters: parameters, responseMode: "query") }
            ?? pages.render("logged_out", ["title": "Logged out"])
        response.headers.append(HTTPField(name: .setCookie, value: cookies.clearSession()))
        return response
    }

    private func allowed(_ target: String, clientID: String?) async throws -> Bool {
        guard let clientID, let client = try await services.storage.read({ try await $0.clients.get(clientID) }) else {
            return false
        }
        return client.allowed_logout_urls.contains(target)
    }

    func auth0Logout(_ request: Request) async throws -> Response {
        let query = RequestParameters.query(request)
        guard let returnTo = query["returnTo"], !returnTo.isEmpty else {
            return try await loggedOut(request, redirectTo: nil)
        }
        guard try await allowed(returnTo, clientID: query["client_id"]) else {
            return pages.errorPage(
                title: "Logout URL not allowed",
                description: "returnTo \(returnTo) is not in the allowed logout URLs of the client named by client_id.")
        }
        return try await loggedOut(request, redirectTo: returnTo)
    }

    func oidcLogout(_ request: Request, extra: [String: String] = [:]) async throws -> Response {
        let query = RequestParameters.query(request).merging(extra) { _, body in body }
        var clientID = query["client_id"]
        if let hint = query["id_token_hint"], !hint.isEmpty {
            // An expired ID token is still a fine hint (RP-Initiated Logout §2): only the signature counts.
            guard let claims = try? await services.keyring.verifySignature(hint),
                claims["iss"]?.stringValue == services.configuration.issuer
            else {
                return pages.errorPage(title: "invalid_request", description: "id_token_hint is not an ID token issued here.")
            }
            let audience = claims.audiences.first
            if let clientID, clientID != audience {
                return pages.errorPage(title: "invalid_request", description: "client_id does not match id_token_hint.")
            }
            clientID = audience
        }
        guard let target = query["post_logout_redirect_uri"], !target.isEmpty else {
            return try await loggedOut(request, redirectTo: nil)
        }
        guard try await allowed(target, clientID: clientID) else {
            return pages.errorPage(
                title: "Logout URL not allowed",
                description:
                    "post_logout_redirect_uri \(target) is not an allowed logout URL of the client (send client_id or id_token_hint).")
        }
        return try await loggedOut(request, redirectTo: target, parameters: [("state", query["state"])])
    }
}
