import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// The hosted login and sign-up pages (`/u/login`, `/u/signup`), bound to a login transaction by
/// `state` and protected against cross-site posts by a per-transaction token that must match both
/// the form field and a cookie.
struct LoginPageRoutes {
    let services: IdentityServices
    let pages: PageRenderer
    let responder: AuthorizationResponder
    let authorization: AuthorizationService
    let cookies: SessionCookies

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("u/login") { request, _ in try await show(request, template: "login") }
        router.get("u/signup") { request, _ in try await show(request, template: "signup") }
        router.post("u/login") { request, context in try await submitLogin(request, context: context) }
        router.post("u/signup") { request, context in try await submitSignup(request, context: context) }
        router.get("u/reset-password-request") { request, _ in try await show(request, template: "reset_request") }
        router.post("u/reset-password-request") { request, context in try await submitResetRequest(request, context: context) }
    }

    private struct Screen {
        var transaction: LoginTransactionRecord
        var client: ClientRecord
        var connection: ConnectionRecord
    }

    private func load(_ state: String?) async throws -> Screen? {
        guard let state, !state.isEmpty,
            let transaction = try await services.storage.read({ try await $0.loginTransactions.get(state, now: Timestamp.nowMillis()) }),
            let client = try await services.storage.read({ try await $0.clients.get(transaction.client_id) }),
            let connection = try await authorization.connection(for: transaction)
        else { return nil }
        return Screen(transaction: transaction, client: client, connection: connection)
    }

    private func expired() -> Response {
        pages.errorPage(
            title: "Your login session has expired",
            description: "This login link is no longer valid. Go back to the application and start the login again.")
    }

    private func values(_ screen: Screen, template: String = "login", error: String? = nil, form: [String: String] = [:])
        -> [String: Any]
    {
        var values: [String: Any] = [
            "title": template == "signup" ? "Sign up" : template == "reset_request" ? "Reset your password" : "Log in",
            "state": screen.transaction.id, "csrf": screen.transaction.csrf_token,
            "client_name": screen.client.name, "username": form["username"] ?? screen.transaction.login_hint ?? "",
            "email": form["email"] ?? "", "signup_allowed": !screen.connection.options.disable_signup,
            "requires_username": screen.connection.options.requires_username,
            "min_length": PasswordPolicy(screen.connection.options).length,
            "password_rules": PasswordPolicy(screen.connection.options).rules().map { rule -> [String: Any] in
                ["text": rule.text, "items": rule.items.map(\.text), "has_items": !rule.items.isEmpty]
            },
        ]
        if let error { values["error"] = error }
        return values
    }

    func show(_ request: Request, template: String) async throws -> Response {
        guard let screen = try await load(RequestParameters.query(request)["state"]) else { return expired() }
        if template == "signup" && screen.connection.options.disable_signup {
            return pages.errorPage(title: "Sign-up is disabled", description: "Ask your administrator for an account.", status: .forbidden)
        }
        return pages.render(
            template, values(screen, template: template), headers: [.setCookie: cookies.csrf(screen.transaction.csrf_token)])
    }

    /// The form, after checking that it came from the page this browser was shown.
    private func form(_ request: Request, context: GatehouseRequestContext) async throws -> (Screen, [String: String])? {
        let form = (try? await RequestParameters.body(request, context: context)) ?? [:]
        guard let screen = try await load(form["state"] ?? RequestParameters.query(request)["state"]) else { return nil }
        let cookie = request.cookies[SessionCookies.csrfName]?.value ?? ""
        guard let token = form["_csrf"], SecretComparison.equal(token, screen.transaction.csrf_token),
            SecretComparison.equal(cookie, screen.transaction.csrf_token)
        else { return nil }
        return (screen, form)
    }

    func submitLogin(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        guard let (screen, form) = try await form(request, context: context) else {
            return pages.errorPage(
                title: "Invalid login form",
                description: "The form expired or was not sent from this browser's login page. Start the login again.",
                status: .forbidden)
        }
        let login = (form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !login.isEmpty, let password = form["password"], !password.isEmpty else {
            return pages.render("login", values(screen, error: "Enter your email address and password.", form: form), status: .badRequest)
        }
        let user: UserRecord
        do {
            user = try await services.users.verify(
                connection: screen.connection.name, login: login, password: password, ip: context.remoteIP)
        } catch let failure as UserDirectory.LoginFailure {
            await responder.logLogin(
                type: failure.logType, description: failure.message, transaction: screen.transaction,
                client: screen.client, connection: screen.connection.name, request: request, context: context, userID: nil,
                userName: String(login.prefix(256)))
            let status: HTTPResponse.Status =
                switch failure {
                case .tooManyAttempts, .suspiciousIP: .tooManyRequests
                case .wrongCredentials, .blocked: .unauthorized
                }
            return pages.render("login", values(screen, error: failure.message, form: form), status: status)
        }
        return try await finish(screen, user: user, request: request, context: context, form: form)
    }

    /// Hands a freshly authenticated user to post-login and the code redirect.
    private func finish(
        _ screen: Screen, user: UserRecord, request: Request, context: GatehouseRequestContext, form: [String: String]
    ) async throws -> Response {
        try await responder.finish(
            AuthorizationResponder.BrowserLogin(
                transaction: screen.transaction, client: screen.client, user: user,
                session: authorization.newSession(user: user, clientID: screen.client.client_id), authenticated: true,
                configurationVersion: try await services.configurationCache.snapshot().version),
            request: request, context: context, form: form)
    }

    func submitSignup(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        guard let (screen, form) = try await form(request, context: context) else {
            return pages.errorPage(
                title: "Invalid sign-up form",
                description: "The form expired or was not sent from this browser's sign-up page. Start again.", status: .forbidden)
        }
        do {
            let email = form["email"]?.trimmingCharacters(in: .whitespaces)
            let username = form["username"].flatMap { $0.isEmpty ? nil : $0 }
            let origin = RegistrationOrigin(
                client: screen.client,
                request: ActionEventRequest(
                    ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
                    userAgent: request.headers[.userAgent], language: RequestParameters.language(request),
                    query: screen.transaction.query, body: form),
                transaction: screen.transaction, configurationVersion: try await services.configurationCache.snapshot().version)
            let user = try await services.users.register(
                connectionName: screen.connection.name, email: email, username: username, password: form["password"] ?? "",
                profile: UserProfileFields(), viaSignup: true, ip: context.remoteIP, origin: origin)
            await services.accountMail.sendSignupMail(to: user, client: screen.client, request: origin.request)
            var loggedIn = user
            loggedIn.logins_count += 1
            return try await finish(screen, user: loggedIn, request: request, context: context, form: form)
        } catch let error as UserDirectory.RegistrationError {
            let message =
                switch error.kind {
                case .exists: "An account with this email address already exists. Log in instead."
                case .weakPassword: error.message
                case .invalid: "Enter a valid email address."
                case .passwordTooLong:
                    "This password is too long: choose one of at most \(PasswordHasher.maximumPasswordBytes) bytes (\(PasswordHasher.maximumPasswordBytes) letters without accents; fewer with accented letters or emoji)."
                case .tooManySignups: "Too many sign-ups from your network. Wait a minute and try again."
                case .signupDisabled, .connectionNotFound: "Sign-up is not available for this application."
                // What the pre-user-registration action chose to tell the person.
                case .deniedByAction, .unavailable: error.message
                }
            let status: HTTPResponse.Status =
                switch error.kind {
                case .tooManySignups: .tooManyRequests
                case .unavailable: .serviceUnavailable
                case .deniedByAction: .forbidden
                default: .badRequest
                }
            return pages.render("signup", values(screen, template: "signup", error: message, form: form), status: status)
        }
    }

    /// "Forgot password?": e-mails a reset link when the address names a user of the login's
    /// connection, and says the same thing whatever happened (as Auth0 does), so the page cannot
    /// tell anyone whether an address has an account.
    func submitResetRequest(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        guard let (screen, form) = try await form(request, context: context) else {
            return pages.errorPage(
                title: "Invalid form", description: "The form expired or was not sent from this browser's page. Start again.",
                status: .forbidden)
        }
        let address = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        guard EmailAddress.isPlausible(address.lowercased()) else {
            return pages.render(
                "reset_request", values(screen, template: "reset_request", error: "Enter a valid email address.", form: form),
                status: .badRequest)
        }
        try await services.accountMail.sendPasswordReset(
            to: address, connection: screen.connection.name, client: screen.client,
            request: ActionEventRequest(
                ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
                userAgent: request.headers[.userAgent], language: RequestParameters.language(request)))
        return pages.render(
            "message",
            [
                "title": "Check your email", "heading": "Check your email",
                "message": "If \(address) has an account, we have sent it a link to reset the password.",
            ])
    }
}
