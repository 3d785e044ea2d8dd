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

        /// The first language of the transaction's `ui_locales` the pages speak; English otherwise.
        var language: PageLanguage { PageLanguage.preferred(uiLocales: transaction.ui_locales) }
        var messages: PageMessages { PageMessages(language) }
    }

    private func load(_ state: String?) async throws -> Screen? {
        guard let state, !state.isEmpty,
            let transaction = try await services.storage.read({ try await $0.loginTransactions.get(state, now: Timestamp.nowMillis()) }),
            let client = try await services.storage.read({ try await $0.clients.get(transaction.client_id) }),
            let connection = try await authorization.connection(for: transaction)
        else { return nil }
        return Screen(transaction: transaction, client: client, connection: connection)
    }

    /// No transaction to take a language from: the browser's (`PageEnvironment`).
    private func expired() -> Response {
        let text = PageMessages(PageEnvironment.current.language)
        return pages.errorPage(title: text[.sessionExpired], description: text[.sessionExpiredHelp], language: text.language)
    }

    private func values(_ screen: Screen, template: String = "login", error: String? = nil, form: [String: String] = [:])
        -> [String: Any]
    {
        let text = screen.messages
        let name = screen.client.name
        let heading =
            template == "signup"
            ? (name.isEmpty ? text[.createAccount] : text(.createAccountFor, name))
            : (name.isEmpty ? text[.logIn] : text(.logInTo, name))
        var values: [String: Any] = [
            "title": template == "signup"
                ? text[.signUp] : template == "reset_request" ? text[.resetYourPassword] : text[.logIn],
            "heading": heading, "state": screen.transaction.id, "csrf": screen.transaction.csrf_token,
            "client_name": screen.client.name, "username": form["username"] ?? screen.transaction.login_hint ?? "",
            "email": form["email"] ?? "", "signup_allowed": !screen.connection.options.disable_signup,
            "requires_username": screen.connection.options.requires_username,
            "min_length": PasswordPolicy(screen.connection.options).length,
            "password_rules": text.ruleList(PasswordPolicy(screen.connection.options)),
        ]
        if let error { values["error"] = error }
        return values
    }

    func show(_ request: Request, template: String) async throws -> Response {
        guard let screen = try await load(RequestParameters.query(request)["state"]) else { return expired() }
        if template == "signup" && screen.connection.options.disable_signup {
            return pages.errorPage(
                title: screen.messages[.signupDisabled], description: screen.messages[.signupDisabledHelp], status: .forbidden,
                language: screen.language)
        }
        return pages.render(
            template, values(screen, template: template), headers: [.setCookie: cookies.csrf(screen.transaction.csrf_token)],
            language: screen.language)
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
            let text = PageMessages(PageEnvironment.current.language)
            return pages.errorPage(
                title: text[.invalidLoginForm], description: text[.invalidLoginFormHelp], status: .forbidden, language: text.language)
        }
        let login = (form["username"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !login.isEmpty, let password = form["password"], !password.isEmpty else {
            return pages.render(
                "login", values(screen, error: screen.messages[.enterEmailAndPassword], form: form), status: .badRequest,
                language: screen.language)
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
            let message: PageMessage =
                switch failure {
                case .wrongCredentials: .wrongCredentials
                case .blocked: .accountBlocked
                case .tooManyAttempts: .tooManyAttempts
                case .suspiciousIP: .suspiciousIP
                }
            return pages.render(
                "login", values(screen, error: screen.messages[message], form: form), status: status, language: screen.language)
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
            let text = PageMessages(PageEnvironment.current.language)
            return pages.errorPage(
                title: text[.invalidSignupForm], description: text[.invalidSignupFormHelp], status: .forbidden, language: text.language)
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
                profile: UserProfileFields(), viaSignup: true, ip: context.remoteIP, origin: origin,
                writes: services.accountMail.newUserWrites(client: screen.client, request: origin.request, welcome: true))
            var loggedIn = user
            loggedIn.logins_count += 1
            return try await finish(screen, user: loggedIn, request: request, context: context, form: form)
        } catch let error as UserDirectory.RegistrationError {
            let text = screen.messages
            let message =
                switch error.kind {
                case .exists: text[.accountExists]
                case .weakPassword: error.passwordPolicy.map { text.refusal($0) } ?? error.message
                case .invalid: text[.invalidEmail]
                case .passwordTooLong: text(.passwordTooLong, String(PasswordHasher.maximumPasswordBytes))
                case .tooManySignups: text[.tooManySignups]
                case .signupDisabled, .connectionNotFound: text[.signupUnavailable]
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
            return pages.render(
                "signup", values(screen, template: "signup", error: message, form: form), status: status, language: screen.language)
        }
    }

    /// "Forgot password?": e-mails a reset link when the address names a user of the login's
    /// connection, and says the same thing whatever happened (as Auth0 does), so the page cannot
    /// tell anyone whether an address has an account.
    func submitResetRequest(_ request: Request, context: GatehouseRequestContext) async throws -> Response {
        guard let (screen, form) = try await form(request, context: context) else {
            let text = PageMessages(PageEnvironment.current.language)
            return pages.errorPage(
                title: text[.invalidLoginForm], description: text[.invalidLoginFormHelp], status: .forbidden, language: text.language)
        }
        let text = screen.messages
        let address = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        guard EmailAddress.isPlausible(address.lowercased()) else {
            return pages.render(
                "reset_request", values(screen, template: "reset_request", error: text[.invalidEmail], form: form),
                status: .badRequest, language: screen.language)
        }
        try await services.accountMail.sendPasswordReset(
            to: address, connection: screen.connection.name, client: screen.client,
            request: ActionEventRequest(
                ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
                userAgent: request.headers[.userAgent], language: RequestParameters.language(request)))
        return pages.render(
            "message",
            ["title": text[.checkYourEmail], "heading": text[.checkYourEmail], "message": text(.resetLinkSent, address)],
            language: screen.language)
    }
}
