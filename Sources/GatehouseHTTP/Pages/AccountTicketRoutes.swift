import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// The hosted pages behind account tickets (`AccountTickets`): `/u/reset-password?ticket=…` sets
/// a new password under the connection's policy (its rules listed before the person types),
/// `/u/email-verification?ticket=…` marks the e-mail verified. Each acts on a `POST` only, so a
/// mail scanner that opens the link uses nothing up; the 256-bit ticket in the form is what
/// authorises it, so a cross-site form cannot act for someone else. Afterwards the browser goes
/// to the ticket's `result_url` (Auth0's `success=true&message=…`) or sees a page saying it worked.
struct AccountTicketRoutes {
    let services: IdentityServices
    let pages: PageRenderer
    let cookies: SessionCookies

    /// Holds the reset link's ticket while an action sends the browser away and `/continue` brings
    /// it back to the reset page (the ticket itself never goes into the database).
    static let resetCookie = "gatehouse_reset"

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("u/reset-password") { request, context in
            let ticket = RequestParameters.query(request)["ticket"] ?? request.cookies[Self.resetCookie]?.value
            return try await showReset(ticket: ticket, request: request, context: context)
        }
        router.post("u/reset-password") { request, context in
            let form = (try? await RequestParameters.body(request, context: context)) ?? [:]
            return try await submitReset(form, request: request, context: context)
        }
        router.get("u/email-verification") { request, _ in
            try await showVerification(ticket: RequestParameters.query(request)["ticket"])
        }
        router.post("u/email-verification") { request, context in
            let form = (try? await RequestParameters.body(request, context: context)) ?? [:]
            return try await submitVerification(form)
        }
    }

    private func eventRequest(_ request: Request, _ context: GatehouseRequestContext) -> ActionEventRequest {
        ActionEventRequest(
            ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
            userAgent: request.headers[.userAgent], language: RequestParameters.language(request),
            query: RequestParameters.query(request).filter { $0.key != "ticket" })
    }

    /// The reset page at its current step: the post-challenge flow runs on the first opening.
    private func showReset(ticket: String?, request: Request, context: GatehouseRequestContext, error: String? = nil) async throws
        -> Response
    {
        let browser = BrowserCookie(request)
        do {
            let opened = try await services.tickets.open(ticket, kind: .passwordChange)
            let step = try await services.tickets.step(
                opened, token: ticket ?? "", request: eventRequest(request, context),
                configurationVersion: try await services.configurationCache.snapshot().version,
                browserHash: SecretComparison.digest(browser.secret))
            var response = try await render(step, opened: opened, ticket: ticket ?? "", error: error)
            response.headers.append(HTTPField(name: .setCookie, value: cookies.resetTicket(ticket ?? "")))
            if browser.isNew { response.headers.append(HTTPField(name: .setCookie, value: cookies.browser(browser.secret))) }
            return response
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        } catch let failure as AccountTickets.ChallengeFailure {
            return page(for: failure)
        }
    }

    private func render(_ step: ResetStep, opened: AccountTickets.Opened, ticket: String, error: String?) async throws -> Response {
        switch step {
        case .setPassword:
            return try await passwordForm(opened, ticket: ticket, error: error)
        case .denied(let message):
            return pages.errorPage(title: "The password cannot be reset", description: message, status: .forbidden)
        case .redirect(let url, let parameters):
            return Response(
                status: .found,
                headers: [.location: URLComponents.appending(parameters.map { ($0, $1) }, to: url), .cacheControl: "no-store"])
        case .multifactor(let requirement, _):
            var values: [String: Any] = [
                "title": "Verify your identity", "heading": "Verify your identity before changing your password", "ticket": ticket,
                "factors": requirement.factorList.map { factor -> [String: String] in
                    let label =
                        switch factor {
                        case .otp: "the 6-digit code from your authenticator app"
                        case .phone: "the code we sent by SMS (send it first)"
                        case .recoveryCode: "your recovery code"
                        }
                    return ["factor": factor.rawValue, "label": label]
                },
                "phone": requirement.factorList.contains(.phone),
            ]
            if let error { values["error"] = error }
            return pages.render("reset_challenge", values, status: error == nil ? .ok : .badRequest)
        }
    }

    private func passwordForm(_ opened: AccountTickets.Opened, ticket: String, error: String?) async throws -> Response {
        let connection = try await services.storage.read { try await $0.connections.get(name: opened.user.connection) }
        let policy = PasswordPolicy(connection?.options ?? ConnectionRecord.Options())
        // No login transaction here: the page speaks the browser's language.
        let text = PageMessages(PageEnvironment.current.language)
        let email = opened.user.email ?? opened.user.username ?? ""
        var values: [String: Any] = [
            "title": text[.changePasswordTitle], "ticket": ticket, "email": email, "min_length": policy.length,
            "password_rules": text.ruleList(policy),
        ]
        if let name = opened.client?.name, !name.isEmpty {
            values["client_name"] = name
            values["for_email"] = text(.resetForAt, email, name)
        } else {
            values["for_email"] = text(.resetFor, email)
        }
        if let error { values["error"] = error }
        return pages.render("reset_password", values, status: error == nil ? .ok : .badRequest, language: text.language)
    }

    private func submitReset(_ form: [String: String], request: Request, context: GatehouseRequestContext) async throws -> Response {
        let ticket = form["ticket"]
        if form["action"] == "send" {
            // The SMS code for a phone challenge, sent when the person asks.
            do {
                let opened = try await services.tickets.open(ticket, kind: .passwordChange)
                try await services.multifactor.sendPhoneChallenge(
                    userID: opened.user.user_id,
                    origin: SendPhoneMessage.Origin(
                        client: opened.client, request: eventRequest(request, context),
                        configurationVersion: try await services.configurationCache.snapshot().version))
                return try await showReset(ticket: ticket, request: request, context: context)
            } catch let error as MultifactorError {
                return try await showReset(ticket: ticket, request: request, context: context, error: error.message)
            } catch let failure as AccountTickets.Failure {
                return page(for: failure)
            }
        }
        if form["action"] == "verify" {
            // A code for the factor the post-challenge action asked for.
            do {
                let step = try await services.tickets.proveFactor(
                    token: ticket, factor: form["factor"].flatMap(MultifactorFactor.init(rawValue:)) ?? .otp, code: form["code"] ?? "",
                    request: eventRequest(request, context),
                    configurationVersion: try await services.configurationCache.snapshot().version,
                    browserHash: SecretComparison.digest(BrowserCookie(request).secret))
                let opened = try await services.tickets.open(ticket, kind: .passwordChange)
                return try await render(step, opened: opened, ticket: ticket ?? "", error: nil)
            } catch let error as MultifactorError {
                return try await showReset(ticket: ticket, request: request, context: context, error: error.message)
            } catch let failure as AccountTickets.Failure {
                return page(for: failure)
            } catch let failure as AccountTickets.ChallengeFailure {
                return page(for: failure)
            }
        }
        let password = form["password"] ?? ""
        guard password == form["confirm"] else {
            return try await showReset(
                ticket: ticket, request: request, context: context,
                error: PageMessages(PageEnvironment.current.language)[.passwordsDiffer])
        }
        do {
            let (_, redirect) = try await services.tickets.resetPassword(ticket, to: password)
            let text = PageMessages(PageEnvironment.current.language)
            var response = done(redirect: redirect, heading: text[.passwordChanged], message: text[.passwordChangedMessage])
            response.headers.append(HTTPField(name: .setCookie, value: cookies.resetTicket(nil)))
            return response
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        } catch let failure as AccountTickets.ChallengeFailure {
            return page(for: failure)
        } catch let error as UserDirectory.PasswordChangeError {
            let message: String
            switch error {
            case .policy(let policy): message = policy.explanation
            case .tooLong(let text): message = text
            case .userNotFound: return page(for: .userGone)
            }
            return try await showReset(ticket: ticket, request: request, context: context, error: message)
        }
    }

    private func showVerification(ticket: String?) async throws -> Response {
        do {
            let opened = try await services.tickets.open(ticket, kind: .emailVerification)
            var values: [String: Any] = [
                // The sentence naming the address is not in the catalogue yet: this page stays English.
                "title": PageMessages(.english)[.verifyEmailTitle], "ticket": ticket ?? "", "email": opened.user.email ?? "",
            ]
            if let name = opened.client?.name { values["client_name"] = name }
            return pages.render("email_verification", values)
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        }
    }

    private func submitVerification(_ form: [String: String]) async throws -> Response {
        do {
            let (_, redirect) = try await services.tickets.verifyEmail(form["ticket"])
            let text = PageMessages(PageEnvironment.current.language)
            return done(redirect: redirect, heading: text[.emailVerified], message: text[.emailVerifiedMessage])
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        }
    }

    private func done(redirect: String?, heading: String, message: String) -> Response {
        if let redirect {
            return Response(status: .found, headers: [.location: redirect, .cacheControl: "no-store"])
        }
        return pages.render(
            "message", ["title": heading, "heading": heading, "message": message], language: PageEnvironment.current.language)
    }

    private func page(for failure: AccountTickets.ChallengeFailure) -> Response {
        switch failure {
        case .failed(let message):
            return pages.errorPage(title: "The password cannot be reset", description: message, status: .forbidden)
        case .unavailable:
            var page = pages.errorPage(
                title: "Please try again", description: "The password reset could not go on just now. Try again in a few seconds.",
                status: .serviceUnavailable)
            page.headers[.retryAfter] = "5"
            return page
        }
    }

    private func page(for failure: AccountTickets.Failure) -> Response {
        switch failure {
        case .unknown:
            return pages.errorPage(
                title: "This link is not valid",
                description: "The link is incomplete or was not made by this server. Ask for a new one.")
        case .expired:
            return pages.errorPage(title: "This link has expired", description: "Ask for a new link and use it sooner.")
        case .used:
            return pages.errorPage(
                title: "This link was already used", description: "Each link works once. Ask for a new one if you need it.")
        case .userGone:
            return pages.errorPage(
                title: "This account cannot be changed",
                description: "The account no longer exists or is blocked. Contact the application's administrator.",
                status: .forbidden)
        }
    }
}
