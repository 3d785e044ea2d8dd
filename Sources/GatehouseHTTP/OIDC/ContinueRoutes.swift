import GatehouseCore
import GatehouseIdentity
import Hummingbird

/// `GET` and `POST /continue?state=…` (`auth0-actions.md` §7): the browser comes back from an
/// action's redirect target and the suspended login goes on (`LoginCompletion.resume`). `state`
/// comes from the body of a POST (form or JSON), else from the query. A missing, unknown,
/// expired or used `state`, or a browser that is not the one sent away, gets a page saying so.
struct ContinueRoutes {
    let services: IdentityServices
    let pages: PageRenderer
    let responder: AuthorizationResponder

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("continue") { request, context in try await resume(request, context: context, body: [:]) }
        router.post("continue") { request, context in
            let body: [String: String]
            do {
                body = try await RequestParameters.body(request, context: context)
            } catch {
                return pages.errorPage(
                    title: "invalid_request", description: "The form sent to /continue could not be read: \(error).")
            }
            return try await resume(request, context: context, body: body)
        }
    }

    func resume(_ request: Request, context: GatehouseRequestContext, body: [String: String]) async throws -> Response {
        let query = RequestParameters.query(request)
        let browser = BrowserCookie(request)
        let eventRequest = ActionEventRequest(
            ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
            userAgent: request.headers[.userAgent], language: RequestParameters.language(request), query: query, body: body)
        do {
            let outcome = try await services.loginCompletion.resume(
                state: body["state"] ?? query["state"], browserSecret: browser.isNew ? nil : browser.secret, request: eventRequest,
                configurationVersion: try await services.configurationCache.snapshot().version)
            return responder.render(outcome, request: request, browser: browser)
        } catch let failure as LoginCompletion.ResumeFailure {
            return pages.page(for: failure)
        } catch let error as OAuthError where error.code == .temporarilyUnavailable {
            return responder.unavailable(error)
        }
    }
}

extension PageRenderer {
    /// The page for a `state` that continues no login: missing or unknown, expired, used, or
    /// from another browser (`/continue` and the MFA page).
    func page(for failure: LoginCompletion.ResumeFailure) -> Response {
        switch failure {
        case .unknown:
            return errorPage(
                title: "invalid_request",
                description: "This link does not continue any login: its state parameter is missing or unknown."
                    + " Go back to the application and log in again.")
        case .expired:
            return errorPage(
                title: "Your login session has expired",
                description: "The login waited too long to continue. Go back to the application and log in again.")
        case .used:
            return errorPage(
                title: "This login was already continued",
                description: "A login continues only once. Go back to the application and log in again.")
        case .otherBrowser:
            return errorPage(
                title: "Continue in the browser you started in",
                description: "This login was started in another browser (or this browser's cookies were cleared), so it cannot"
                    + " continue here. Go back to the application and log in again.", status: .forbidden)
        }
    }
}
