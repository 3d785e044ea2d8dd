import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import HTTPTypes
import Hummingbird

extension AuthorizationResponder {
    /// A browser login that reached its end: a fresh authentication on the hosted pages, or SSO
    /// re-using a session at `/authorize`.
    struct BrowserLogin {
        var transaction: LoginTransactionRecord
        var client: ClientRecord
        var user: UserRecord
        /// The session: new (stored when the login completes), or re-used by SSO.
        var session: SessionRecord
        /// `true` after a password check (a new session, a counted login, tenant log `s`/`f`).
        var authenticated: Bool
        var configurationVersion: Int64
    }

    /// Hands the login to `LoginCompletion` and renders its outcome.
    func finish(_ login: BrowserLogin, request: Request, context: GatehouseRequestContext, form: [String: String] = [:]) async throws
        -> Response
    {
        let transaction = login.transaction
        let browser = BrowserCookie(request)
        let attempt = LoginAttempt(
            loginProtocol: .browser, userID: login.user.user_id, clientID: login.client.client_id, transaction: transaction,
            session: login.session, isNewSession: login.authenticated, requestedScope: transaction.scope,
            audience: transaction.audience, authenticatedAt: login.session.authenticated_at, freshAuthentication: login.authenticated,
            countsAsLogin: login.authenticated, browserHash: SecretComparison.digest(browser.secret),
            rememberedBrowserHash: request.cookies[SessionCookies.rememberBrowserName].map { SecretComparison.digest($0.value) })
        let eventRequest = ActionEventRequest(
            ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
            userAgent: request.headers[.userAgent], language: RequestParameters.language(request), query: transaction.query, body: form)
        do {
            let outcome = try await services.loginCompletion.complete(
                attempt, user: login.user, client: login.client, request: eventRequest, configurationVersion: login.configurationVersion)
            return render(outcome, request: request, browser: browser)
        } catch let error as OAuthError where error.code == .temporarilyUnavailable {
            // The platform failed, not the login: nothing is written, the transaction stays, and
            // the person may simply submit again.
            await services.flows?.recorder.record(logs: [
                LoginCompletion.browserLoginLog(
                    type: "f", description: error.description, transaction: transaction, client: login.client,
                    connection: login.user.connection, ip: context.remoteIP, userAgent: request.headers[.userAgent],
                    userID: login.user.user_id, userName: login.user.logName, executions: error.executionIDs)
            ])
            return unavailable(error)
        }
    }

    /// The browser's answer to how a login ended: back to the client with a code or an error,
    /// or away to an action's redirect target.
    func render(_ outcome: LoginCompletion.Outcome, request: Request, browser: BrowserCookie) -> Response {
        switch outcome {
        case .code(let code, let secret, let transaction, _):
            let cookie = secret ?? request.cookies[SessionCookies.sessionName]?.value
            return redirect(
                to: transaction.redirect_uri, parameters: [("code", code), ("state", transaction.state)],
                responseMode: transaction.response_mode, setCookies: cookie.map { [cookies.session(secret: $0)] } ?? [])
        case .refused(let error, let transaction?):
            return failure(
                .redirect(error, to: transaction.redirect_uri, state: transaction.state, responseMode: transaction.response_mode))
        case .refused(let error, nil):
            return failure(.page(title: "Login refused", description: error.description))
        case .redirect(let url, let parameters):
            var response = Response(
                status: .found,
                headers: [.location: URLComponents.appending(parameters.map { ($0, $1) }, to: url), .cacheControl: "no-store"])
            if browser.isNew { response.headers.append(HTTPField(name: .setCookie, value: cookies.browser(browser.secret))) }
            return response
        case .multifactor(let state):
            var response = Response(
                status: .found,
                headers: [.location: URLComponents.appending([("state", state)], to: "/u/mfa"), .cacheControl: "no-store"])
            if browser.isNew { response.headers.append(HTTPField(name: .setCookie, value: cookies.browser(browser.secret))) }
            return response
        case .tokens:
            return failure(.page(title: "Login failed", description: "This login cannot be completed in a browser."))
        }
    }

    /// 503 with `Retry-After`: the Actions platform could not run the login's flow.
    func unavailable(_ error: OAuthError) -> Response {
        var page = failure(
            .page(
                title: "Please try again",
                description: "The sign-in could not be completed just now. Go back and try again in a few seconds."))
        page.status = .serviceUnavailable
        page.headers[.retryAfter] = String(error.retryAfterSeconds ?? 5)
        return page
    }

    /// Tenant log events of the hosted pages' refusals before a login completes (`fp`, `limit_wc`, …).
    func logLogin(
        type: String, description: String, transaction: LoginTransactionRecord, client: ClientRecord, connection: String,
        request: Request, context: GatehouseRequestContext, userID: String?, userName: String? = nil
    ) async {
        await services.flows?.recorder.record(logs: [
            LoginCompletion.browserLoginLog(
                type: type, description: description, transaction: transaction, client: client, connection: connection,
                ip: context.remoteIP, userAgent: request.headers[.userAgent], userID: userID, userName: userName)
        ])
    }
}

/// The browser's own cookie, which a suspended login is bound to: `/continue` resumes a login
/// only in the browser that was sent away (a stolen `state` is useless elsewhere).
struct BrowserCookie {
    static let name = "gatehouse_browser"

    var secret: String
    /// Not sent by the browser: set it with the response that needs it.
    var isNew: Bool

    init(_ request: Request) {
        if let value = request.cookies[Self.name]?.value, value.utf8.count >= 32, value.utf8.count <= 128 {
            secret = value
            isNew = false
        } else {
            secret = RandomIdentifier.token(byteCount: 32)
            isNew = true
        }
    }
}
