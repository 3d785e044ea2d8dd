import Foundation
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
        let state = body["state"] ?? query["state"]
        let version = try await services.configurationCache.snapshot().version
        do {
            let outcome = try await services.loginCompletion.resume(
                state: state, browserSecret: browser.isNew ? nil : browser.secret, request: eventRequest, configurationVersion: version)
            return responder.render(outcome, request: request, browser: browser)
        } catch LoginCompletion.ResumeFailure.unknown where state != nil {
            return try await resumePasswordReset(state, request: request, browser: browser, eventRequest: eventRequest, version: version)
        } catch let failure as LoginCompletion.ResumeFailure {
            return pages.page(for: failure)
        } catch let error as OAuthError where error.code == .temporarilyUnavailable {
            return responder.unavailable(error)
        }
    }

    /// A password reset a `password-reset-post-challenge` action sent away (`onContinuePostChallenge`):
    /// the browser goes back to the reset page, which shows the next step.
    private func resumePasswordReset(
        _ state: String?, request: Request, browser: BrowserCookie, eventRequest: ActionEventRequest, version: Int64
    ) async throws -> Response {
        do {
            let step = try await services.tickets.resumeChallenge(
                state: state, browserSecret: browser.isNew ? nil : browser.secret,
                ticketToken: request.cookies[AccountTicketRoutes.resetCookie]?.value, request: eventRequest,
                configurationVersion: version)
            if case .redirect(let url, let parameters) = step {
                return Response(
                    status: .found,
                    headers: [.location: URLComponents.appending(parameters.map { ($0, $1) }, to: url), .cacheControl: "no-store"])
            }
            return Response(status: .found, headers: [.location: "/u/reset-password", .cacheControl: "no-store"])
        } catch let failure as LoginCompletion.ResumeFailure {
            return pages.page(for: failure)
        } catch AccountTickets.ChallengeFailure.failed(let message) {
            return pages.errorPage(title: "The password cannot be reset", description: message, status: .forbidden)
        } catch AccountTickets.ChallengeFailure.unavailable {
            return pages.errorPage(
                title: "Please try again", description: "The password reset could not go on just now.", status: .serviceUnavailable)
        } catch is AccountTickets.Failure {
            return pages.errorPage(title: "This link is no longer valid", description: "Ask for a new password-reset link.")
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
