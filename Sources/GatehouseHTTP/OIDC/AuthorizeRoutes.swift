import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `GET /authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2): validates the request, re-uses the SSO
/// session when it may, otherwise stores a login transaction and sends the browser to `/u/login`.
struct AuthorizeRoutes {
    let services: IdentityServices
    let responder: AuthorizationResponder
    let validator: AuthorizationRequestValidator
    let authorization: AuthorizationService
    /// Login transactions per client IP (`docs/SECURITY.md`, "Unauthenticated writes").
    let throttle = TransactionThrottle()

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("authorize") { request, context in try await authorize(request, context: context) }
    }

    func authorize(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        let transaction: LoginTransactionRecord
        do {
            let query: [String: String]
            do {
                query = try RequestParameters.oauthQuery(request)
            } catch {
                // Before the client and redirect URI are known, the answer is a page (RFC 6749 §4.1.2.1).
                throw AuthorizationFailure.page(title: "invalid_request", description: error.description)
            }
            transaction = try await validator.validate(query, now: Timestamp.nowMillis())
        } catch let failure as AuthorizationFailure {
            return responder.failure(failure)
        }
        let prompts = Set((transaction.prompt ?? "").split(separator: " ").map(String.init))
        let session = try await authorization.activeSession(secret: request.cookies[SessionCookies.sessionName]?.value)
        if let session, !prompts.contains("login"), await sessionFits(session.record, transaction),
            let user = try await services.storage.read({ try await $0.users.get(session.record.user_id) }), !user.blocked
        {
            let configuration = try await services.configurationCache.snapshot()
            if let client = try await configuration.client(transaction.client_id) {
                return try await responder.finish(
                    AuthorizationResponder.BrowserLogin(
                        transaction: transaction, client: client, user: user, session: session.record, authenticated: false,
                        configurationVersion: configuration.version),
                    request: request, context: context)
            }
        }
        if prompts.contains("none") {
            return responder.failure(
                .redirect(
                    OAuthError(.loginRequired, "Login required"), to: transaction.redirect_uri, state: transaction.state,
                    responseMode: transaction.response_mode))
        }
        guard throttle.admit(context.remoteIP) else {
            var page = responder.failure(
                .page(
                    title: "Too many sign-in attempts",
                    description: "Too many sign-ins were started from your network in the last minute. Wait a minute and try again."))
            page.status = .tooManyRequests
            page.headers[.retryAfter] = String(throttle.window)
            return page
        }
        try await services.storage.read { try await $0.loginTransactions.insert(transaction) }
        let page = transaction.query["screen_hint"] == "signup" ? "u/signup" : "u/login"
        return Response(status: .found, headers: [.location: "/\(page)?state=\(transaction.id)", .cacheControl: "no-store"])
    }

    /// SSO applies when the session's user belongs to a connection the client may use.
    private func sessionFits(_ session: SessionRecord, _ transaction: LoginTransactionRecord) async -> Bool {
        if let requested = transaction.connection, requested != session.connection { return false }
        guard let connection = try? await services.storage.read({ try await $0.connections.get(name: session.connection) })
        else { return false }
        return connection.enabled_clients.contains(transaction.client_id)
    }
}
