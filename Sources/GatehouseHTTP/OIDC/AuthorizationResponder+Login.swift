import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

extension AuthorizationResponder {
    /// A browser login that reached its end: a fresh authentication on the hosted pages, or SSO
    /// re-using a session at `/authorize`.
    struct BrowserLogin {
        var transaction: LoginTransactionRecord
        var client: ClientRecord
        var user: UserRecord
        /// The session (new, or re-used by SSO) with the secret its cookie carries.
        var session: AuthorizationService.BrowserSession
        /// `true` after a password check (a new session, a counted login, tenant log `s`/`f`).
        var authenticated: Bool
        var configurationVersion: Int64
    }

    /// Runs the `post-login` flow, then sends the browser back to the client: with a code when
    /// the flow let the login through, with `error=access_denied` and the reason otherwise
    /// (`auth0-actions.md` §4.2).
    func finish(_ login: BrowserLogin, request: Request, context: GatehouseRequestContext, form: [String: String] = [:]) async throws
        -> Response
    {
        let transaction = login.transaction
        let postLoginContext = PostLoginContext(
            loginProtocol: .browser, user: login.user, client: login.client,
            request: ActionEventRequest(
                ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
                userAgent: request.headers[.userAgent], language: RequestParameters.language(request), query: transaction.query,
                body: form),
            transaction: transaction, requestedScopes: ScopeList(transaction.scope), audience: transaction.audience,
            authenticatedAt: login.session.record.authenticated_at, sessionID: login.session.record.id,
            configurationVersion: login.configurationVersion)
        var update = UserDirectory.LoginUpdate(userID: login.user.user_id, ip: context.remoteIP, countsAsLogin: login.authenticated)
        let decision: PostLoginDecision
        do {
            decision = try await services.postLogin?.run(postLoginContext) ?? .none
        } catch let refusal as PostLoginRefusal {
            update.metadata = refusal.metadata
            try await authorization.refuse(
                transaction, login: update, revokingSession: refusal.revokesSession && !login.authenticated ? login.session.record.id : nil)
            await logLogin(
                type: "f", description: refusal.error.description, transaction: transaction, client: login.client,
                connection: login.user.connection, request: request,
                context: context, userID: login.user.user_id, userName: login.user.logName, executions: refusal.error.executionIDs)
            return failure(
                .redirect(refusal.error, to: transaction.redirect_uri, state: transaction.state, responseMode: transaction.response_mode))
        } catch let error as OAuthError where error.code == .temporarilyUnavailable {
            // The platform failed, not the login: nothing is written, the transaction stays, and
            // the person may simply submit again.
            await logLogin(
                type: "f", description: error.description, transaction: transaction, client: login.client,
                connection: login.user.connection, request: request, context: context, userID: login.user.user_id,
                userName: login.user.logName, executions: error.executionIDs)
            var page = failure(
                .page(
                    title: "Please try again",
                    description: "The sign-in could not be completed just now. Go back and try again in a few seconds."))
            page.status = .serviceUnavailable
            page.headers[.retryAfter] = String(error.retryAfterSeconds ?? 5)
            return page
        }
        update.metadata = decision.metadata
        let code = try await authorization.issueCode(
            for: transaction, session: login.session, isNewSession: login.authenticated, customization: decision.tokens, login: update)
        if login.authenticated {
            await logLogin(
                type: "s", description: "Successful login", transaction: transaction, client: login.client,
                connection: login.user.connection, request: request,
                context: context, userID: login.user.user_id, userName: login.user.logName, executions: decision.executionIDs)
        }
        return redirect(
            to: transaction.redirect_uri, parameters: [("code", code), ("state", transaction.state)],
            responseMode: transaction.response_mode, setCookies: [cookies.session(secret: login.session.secret)])
    }

    /// Tenant log events of browser logins, as Auth0 names them: `s` (success), `f` (refused by
    /// an action), `fp` (wrong credentials), `limit_wc` (throttled); with the executions of the
    /// flow in `details.actions.executions`.
    func logLogin(
        type: String, description: String, transaction: LoginTransactionRecord, client: ClientRecord, connection: String,
        request: Request, context: GatehouseRequestContext, userID: String?, userName: String? = nil,
        executions: [String] = []
    ) async {
        var details: [String: JSONValue] = ["connection": .string(connection)]
        if !executions.isEmpty { details["actions"] = .object(["executions": .array(executions.map(JSONValue.string))]) }
        await services.flows?.recorder.record(logs: [
            LogRecord(
                log_id: RandomIdentifier.hex(byteCount: 16), date: Timestamp.iso8601(Timestamp.nowMillis()), type: type,
                description: description, client_id: client.client_id, client_name: client.name, ip: context.remoteIP,
                user_agent: request.headers[.userAgent], user_id: userID, user_name: userName, audience: transaction.audience,
                scope: transaction.scope,
                details: .object(details))
        ])
    }
}
