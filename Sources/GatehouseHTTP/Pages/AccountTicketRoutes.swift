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

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("u/reset-password") { request, _ in
            try await showReset(ticket: RequestParameters.query(request)["ticket"])
        }
        router.post("u/reset-password") { request, context in
            let form = (try? await RequestParameters.body(request, context: context)) ?? [:]
            return try await submitReset(form)
        }
        router.get("u/email-verification") { request, _ in
            try await showVerification(ticket: RequestParameters.query(request)["ticket"])
        }
        router.post("u/email-verification") { request, context in
            let form = (try? await RequestParameters.body(request, context: context)) ?? [:]
            return try await submitVerification(form)
        }
    }

    private func showReset(ticket: String?, error: String? = nil) async throws -> Response {
        let opened: AccountTickets.Opened
        do {
            opened = try await services.tickets.open(ticket, kind: .passwordChange)
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        }
        let connection = try await services.storage.read { try await $0.connections.get(name: opened.user.connection) }
        let policy = PasswordPolicy(connection?.options ?? ConnectionRecord.Options())
        var values: [String: Any] = [
            "title": "Change your password", "ticket": ticket ?? "", "email": opened.user.email ?? opened.user.username ?? "",
            "min_length": policy.length,
            "password_rules": policy.rules().map { rule -> [String: Any] in
                ["text": rule.text, "items": rule.items.map(\.text), "has_items": !rule.items.isEmpty]
            },
        ]
        if let name = opened.client?.name { values["client_name"] = name }
        if let error { values["error"] = error }
        return pages.render("reset_password", values, status: error == nil ? .ok : .badRequest)
    }

    private func submitReset(_ form: [String: String]) async throws -> Response {
        let ticket = form["ticket"]
        let password = form["password"] ?? ""
        guard password == form["confirm"] else {
            return try await showReset(ticket: ticket, error: "The two passwords are not the same. Type the new password twice.")
        }
        do {
            let (_, redirect) = try await services.tickets.resetPassword(ticket, to: password)
            return done(
                redirect: redirect, heading: "Password changed",
                message: "Your password has been changed. You can now log in with the new password.")
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        } catch let error as UserDirectory.PasswordChangeError {
            switch error {
            case .policy(let policy): return try await showReset(ticket: ticket, error: policy.explanation)
            case .tooLong(let message): return try await showReset(ticket: ticket, error: message)
            case .userNotFound: return page(for: .userGone)
            }
        }
    }

    private func showVerification(ticket: String?) async throws -> Response {
        do {
            let opened = try await services.tickets.open(ticket, kind: .emailVerification)
            var values: [String: Any] = [
                "title": "Verify your email", "ticket": ticket ?? "", "email": opened.user.email ?? "",
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
            return done(
                redirect: redirect, heading: "Email verified",
                message: "Your email was verified. You can continue using the application.")
        } catch let failure as AccountTickets.Failure {
            return page(for: failure)
        }
    }

    private func done(redirect: String?, heading: String, message: String) -> Response {
        if let redirect {
            return Response(status: .found, headers: [.location: redirect, .cacheControl: "no-store"])
        }
        return pages.render("message", ["title": heading, "heading": heading, "message": message])
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
