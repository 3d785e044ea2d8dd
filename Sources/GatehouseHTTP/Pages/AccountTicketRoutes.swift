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

    /// The ticket pages have no login transaction: they speak the browser's language.
    private var text: PageMessages { PageMessages(PageEnvironment.current.language) }

    private func render(_ step: ResetStep, opened: AccountTickets.Opened, ticket: String, error: String?) async throws -> Response {
        let text = text
        switch step {
        case .setPassword:
            return try await passwordForm(opened, ticket: ticket, error: error)
        case .denied(let message):
            // `message` is what the action chose to tell the person.
            return pages.errorPage(title: text[.resetRefused], description: message, status: .forbidden, language: text.language)
        case .redirect(let url, let parameters):
            return Response(
                status: .found,
                headers: [.location: URLComponents.appending(parameters.map { ($0, $1) }, to: url), .cacheControl: "no-store"])
        case .multifactor(let requirement, _):
            var values: [String: Any] = [
                "title": text[.verifyIdentity], "heading": text[.verifyBeforeReset], "ticket": ticket,
                "factors": requirement.factorList.map { factor -> [String: String] in
                    let label =
                        switch factor {
                        case .otp: text[.enterOTPCode]
                        case .phone: text[.enterSMSCodeSendFirst]
                        case .recoveryCode: text[.enterRecoveryCode]
                        }
                    return ["factor": factor.rawValue, "label": label]
                },
                "phone": requirement.factorList.contains(.phone),
            ]
            if let error { values["error"] = error }
            return pages.render("reset_challenge", values, status: error == nil ? .ok : .badRequest, language: text.language)
        }
    }

    private func passwordForm(_ opened: AccountTickets.Opened, ticket: String, error: String?) async throws -> Response {
        let connection = try await services.storage.read { try await $0.connections.get(name: opened.user.connection) }
        let policy = PasswordPolicy(connection?.options ?? ConnectionRecord.Options())
        // No login transaction here: the page speaks the browser's language.
        let text = text
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
                return try await showReset(
                    ticket: ticket, request: request, context: context, error: MultifactorPageRoutes.message(for: error, in: text))
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
                return try await showReset(
                    ticket: ticket, request: request, context: context, error: MultifactorPageRoutes.message(for: error, in: text))
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
                error: text[.passwordsDiffer])
        }
        do {
            let (_, redirect) = try await services.tickets.resetPassword(
                ticket, to: password, request: eventRequest(request, context))
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
            case .policy(let policy): message = text.refusal(policy)
            case .tooLong(let text): message = text
            case .userNotFound: return page(for: .userGone)
            }
            return try await showReset(ticket: ticket, request: request, context: context, error: message)
        }
    }

    private func showVerification(ticket: String?) async throws -> Response {
        do {
            let opened = try await services.tickets.open(ticket, kind: .emailVerification)
            let text = text
            let email = opened.user.email ?? ""
            let name = opened.client?.name ?? ""
            // The sentence around the address (shown in bold): the text before and after `{0}`.
            let sentence = name.isEmpty ? text[.confirmAddress] : text[.confirmAddressFor].replacingOccurrences(of: "{1}", with: name)
            let parts = sentence.components(separatedBy: "{0}")
            let values: [String: Any] = [
                "title": text[.verifyEmailTitle], "ticket": ticket ?? "", "email": email,
                "before_email": parts.first ?? "", "after_email": parts.dropFirst().joined(separator: email),
            ]
            return pages.render("email_verification", values, language: text.language)
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        }
    }

    private func submitVerification(_ form: [String: String]) async throws -> Response {
        do {
            let (_, redirect) = try await services.tickets.verifyEmail(form["ticket"])
            return done(redirect: redirect, heading: text[.emailVerified], message: text[.emailVerifiedMessage])
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        }
    }

    private func done(redirect: String?, heading: String, message: String) -> Response {
        if let redirect {
            return Response(status: .found, headers: [.location: redirect, .cacheControl: "no-store"])
        }
        return pages.render("message", ["title": heading, "heading": heading, "message": message], language: text.language)
    }

    private func page(for failure: AccountTickets.ChallengeFailure) -> Response {
        switch failure {
        case .failed(let message):
            return pages.errorPage(title: text[.resetRefused], description: message, status: .forbidden, language: text.language)
        case .unavailable:
            var page = pages.errorPage(
                title: text[.tryAgain], description: text[.resetUnavailable], status: .serviceUnavailable, language: text.language)
            page.headers[.retryAfter] = "5"
            return page
        }
    }

    private func page(for failure: AccountTickets.Failure) -> Response {
        let text = text
        switch failure {
        case .unknown:
            return pages.errorPage(title: text[.linkInvalid], description: text[.linkInvalidHelp], language: text.language)
        case .expired:
            return pages.errorPage(title: text[.linkExpired], description: text[.linkExpiredHelp], language: text.language)
        case .used:
            return pages.errorPage(title: text[.linkUsed], description: text[.linkUsedHelp], language: text.language)
        case .userGone:
            return pages.errorPage(
                title: text[.accountUnchangeable], description: text[.accountUnchangeableHelp], status: .forbidden,
                language: text.language)
        }
    }
}
