import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import HTTPTypes
import Hummingbird

/// The hosted MFA page, `/u/mfa?state=…`: where a browser login waits when an action asked for
/// MFA (`api.multifactor.enable`, `api.authentication.challengeWith…` / `enrollWith…`). It
/// enrols a first factor (TOTP with a QR code, or SMS) and shows the recovery code once, or
/// challenges with one the user has (TOTP, SMS, recovery code), offers "remember this browser"
/// when the action allowed it, then the login goes on (`LoginCompletion.resumeMultifactor`).
///
/// Like `/continue`, the page works only in the browser the login started in (the
/// `gatehouse_browser` cookie must match the suspension); `state` is 256 random bits, so a
/// cross-site form cannot name a login. An SMS code is sent when the person asks for it (a
/// button), never on a `GET`. Wrong codes count towards the user's brute-force bucket.
struct MultifactorPageRoutes {
    let services: IdentityServices
    let pages: PageRenderer
    let responder: AuthorizationResponder
    let cookies: SessionCookies

    func register(on router: Router<GatehouseRequestContext>) {
        router.get("u/mfa") { request, context in
            let query = RequestParameters.query(request)
            return try await handle(request, context: context, form: query, isPost: false)
        }
        router.post("u/mfa") { request, context in
            let form: [String: String]
            do {
                form = try await RequestParameters.body(request, context: context)
            } catch {
                return pages.errorPage(title: "invalid_request", description: "The form could not be read: \(error).")
            }
            return try await handle(request, context: context, form: form, isPost: true)
        }
    }

    /// One screen of the page: what it shows, then what it says went wrong.
    private struct Screen {
        var pending: PendingMultifactor
        var state: String
        var factor: MultifactorFactor
        var values: [String: Any] = [:]

        /// The first language of the login's `ui_locales` the pages speak; English otherwise.
        var language: PageLanguage { PageLanguage.preferred(uiLocales: pending.transaction?.ui_locales) }
        var text: PageMessages { PageMessages(language) }
    }

    private func handle(_ request: Request, context: GatehouseRequestContext, form: [String: String], isPost: Bool) async throws
        -> Response
    {
        let browser = BrowserCookie(request)
        let state = form["state"] ?? RequestParameters.query(request)["state"] ?? ""
        var pending: PendingMultifactor
        do {
            pending = try await services.loginCompletion.pendingMultifactor(
                state: state, browserSecret: browser.isNew ? nil : browser.secret)
        } catch let failure as LoginCompletion.ResumeFailure {
            return pages.page(for: failure)
        }
        let requirement = pending.requirement
        let factors = requirement.factorList
        let asked = form["factor"].flatMap(MultifactorFactor.init(rawValue:))
        let factor = asked.flatMap { factors.contains($0) ? $0 : nil } ?? factors.first ?? .otp
        var screen = Screen(pending: pending, state: state, factor: factor)
        do {
            guard isPost else {
                if requirement.provedFactor != nil { return render(&screen, continuing: true) }
                return try await show(&screen)
            }
            switch form["action"] ?? "" {
            case "verify": return try await verify(&screen, form: form, request: request, context: context, browser: browser)
            case "send":
                try await services.multifactor.sendPhoneChallenge(userID: pending.user.user_id, origin: origin(pending, request, context))
                screen.values["notice"] = screen.text(.sentCode, masked(pending.confirmed(.phone)?.phone_number, screen.text))
                return codeForm(&screen)
            case "enroll-phone":
                let enrollment = try await services.multifactor.startPhoneEnrollment(
                    userID: pending.user.user_id, phoneNumber: form["phone_number"] ?? "", origin: origin(pending, request, context))
                try await services.loginCompletion.started(enrollmentID: enrollment.id, for: &pending)
                screen.pending = pending
                screen.values["notice"] = screen.text(.sentCode, masked(enrollment.phone_number, screen.text))
                screen.values["enrollment_id"] = enrollment.id
                return codeForm(&screen)
            case "continue":
                return try await resume(
                    pending, request: request, context: context, browser: browser, remember: form["remember"] == "true")
            default:
                return try await show(&screen)
            }
        } catch let error as MultifactorError {
            screen.values["error"] = Self.message(for: error, in: screen.text)
            return try await retry(&screen, form: form)
        } catch let failure as LoginCompletion.ResumeFailure {
            return pages.page(for: failure)
        } catch let error as OAuthError where error.code == .temporarilyUnavailable {
            return responder.unavailable(error)
        }
    }

    /// The screen for the factor chosen: a challenge, or the start of an enrolment.
    private func show(_ screen: inout Screen) async throws -> Response {
        let pending = screen.pending
        switch (pending.requirement.mode, screen.factor) {
        case (.challenge, .phone):
            screen.values["send_phone"] = true
            screen.values["will_send"] = screen.text(.willSendCode, masked(pending.confirmed(.phone)?.phone_number, screen.text))
            return render(&screen)
        case (.challenge, _):
            return codeForm(&screen)
        case (.enroll, .phone):
            screen.values["enroll_phone"] = true
            return render(&screen)
        case (.enroll, _):
            let start = try await services.multifactor.startTOTPEnrollment(
                userID: pending.user.user_id, accountName: accountName(pending.user))
            try await services.loginCompletion.started(enrollmentID: start.enrollmentID, for: &screen.pending)
            return enrollOTP(&screen, start)
        }
    }

    /// After a refused step, the same screen again with its error.
    private func retry(_ screen: inout Screen, form: [String: String]) async throws -> Response {
        let pending = screen.pending
        switch form["action"] {
        case "verify" where form["enrollment_id"] != nil && screen.factor == .otp:
            guard
                let start = try await services.multifactor.pendingTOTP(
                    enrollmentID: form["enrollment_id"] ?? "", userID: pending.user.user_id, accountName: accountName(pending.user))
            else { return try await show(&screen) }
            return enrollOTP(&screen, start)
        case "verify":
            screen.values["enrollment_id"] = form["enrollment_id"]
            return codeForm(&screen)
        case "enroll-phone":
            screen.values["enroll_phone"] = true
            screen.values["phone_number"] = form["phone_number"] ?? ""
            return render(&screen)
        default:
            let error = screen.values["error"]
            var fresh = Screen(pending: pending, state: screen.state, factor: screen.factor)
            fresh.values["error"] = error
            if pending.requirement.mode == .challenge && screen.factor == .phone {
                fresh.values["send_phone"] = true
                fresh.values["will_send"] = fresh.text(.willSendCode, masked(pending.confirmed(.phone)?.phone_number, fresh.text))
                return render(&fresh)
            }
            return try await show(&fresh)
        }
    }

    private func verify(
        _ screen: inout Screen, form: [String: String], request: Request, context: GatehouseRequestContext, browser: BrowserCookie
    ) async throws -> Response {
        let code = form["code"] ?? ""
        let proof: MultifactorProof =
            form["enrollment_id"].map { .enrollment(id: $0, code: code) } ?? .code(screen.factor, code)
        let proved = try await services.loginCompletion.prove(proof, for: &screen.pending)
        let remember = screen.pending.requirement.allowRememberBrowser && form["remember"] == "true"
        guard let recoveryCode = proved.recoveryCode else {
            return try await resume(screen.pending, request: request, context: context, browser: browser, remember: remember)
        }
        // The recovery code is shown once; the login goes on when the person has noted it.
        screen.values["recovery_code"] = recoveryCode
        screen.values["remember"] = remember
        screen.values["heading"] = screen.text[proved.factor == .recoveryCode ? .newRecoveryCode : .saveRecoveryCode]
        return render(&screen, continuing: true)
    }

    private func resume(
        _ pending: PendingMultifactor, request: Request, context: GatehouseRequestContext, browser: BrowserCookie, remember: Bool
    ) async throws -> Response {
        let remembers = pending.requirement.allowRememberBrowser && remember
        // `event.request` of the actions that run next: this request, without its form (which
        // holds the code).
        let eventRequest = ActionEventRequest(
            ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
            userAgent: request.headers[.userAgent], language: RequestParameters.language(request),
            query: RequestParameters.query(request), body: [:])
        let outcome = try await services.loginCompletion.resumeMultifactor(
            pending, request: eventRequest, configurationVersion: try await services.configurationCache.snapshot().version)
        var response = responder.render(outcome, request: request, browser: browser)
        if remembers {
            let token = try await services.multifactor.rememberBrowser(userID: pending.user.user_id)
            response.headers.append(HTTPField(name: .setCookie, value: cookies.rememberBrowser(token)))
        }
        return response
    }

    // MARK: Screens

    private func codeForm(_ screen: inout Screen) -> Response {
        screen.values["code_form"] = true
        screen.values["numeric"] = screen.factor != .recoveryCode
        screen.values["code_label"] =
            switch screen.factor {
            case .otp: screen.text[.enterOTPCode]
            case .phone: screen.text[.enterSMSCode]
            case .recoveryCode: screen.text[.enterRecoveryCode]
            }
        screen.values["allow_remember"] = screen.pending.requirement.allowRememberBrowser
        return render(&screen)
    }

    private func enrollOTP(_ screen: inout Screen, _ start: TOTPEnrollmentStart) -> Response {
        screen.values["enroll_otp"] = true
        screen.values["qr_svg"] = QRCode(start.uri)?.svg(label: screen.text[.qrCodeLabel]) ?? ""
        screen.values["secret"] = start.secret
        screen.values["enrollment_id"] = start.enrollmentID
        return codeForm(&screen)
    }

    private func render(_ screen: inout Screen, continuing: Bool = false) -> Response {
        let requirement = screen.pending.requirement
        var values = screen.values
        let text = screen.text
        values["title"] = text[.verifyIdentity]
        values["state"] = screen.state
        values["factor"] = screen.factor.rawValue
        if values["heading"] == nil {
            values["heading"] =
                continuing
                ? text[.verified] : requirement.mode == .enroll ? text[.secureAccount] : text[.verifyIdentity]
        }
        if continuing {
            values["continue_form"] = true
            return pages.render("mfa", values, language: text.language)
        }
        let others = requirement.factorList.filter { $0 != screen.factor }
        values["has_alternatives"] = !others.isEmpty
        values["alternatives"] = others.map { other -> [String: String] in
            let label =
                switch (requirement.mode, other) {
                case (.enroll, .otp): text[.useAuthenticatorApp]
                case (.enroll, _): text[.useSMS]
                case (.challenge, .otp): text[.useYourAuthenticatorApp]
                case (.challenge, .phone): text[.getCodeBySMS]
                case (.challenge, .recoveryCode): text[.useRecoveryCode]
                }
            return ["factor": other.rawValue, "label": label, "state": screen.state]
        }
        return pages.render("mfa", values, language: text.language)
    }

    // MARK: Helpers

    private func origin(_ pending: PendingMultifactor, _ request: Request, _ context: GatehouseRequestContext) async throws
        -> SendPhoneMessage.Origin
    {
        SendPhoneMessage.Origin(
            client: pending.client,
            request: ActionEventRequest(
                ip: context.remoteIP, method: request.method.rawValue, hostname: request.head.authority,
                userAgent: request.headers[.userAgent], language: RequestParameters.language(request)),
            configurationVersion: try await services.configurationCache.snapshot().version)
    }

    /// What authenticator apps show under the issuer: the e-mail, else the username, else the id.
    private func accountName(_ user: UserRecord) -> String {
        user.email ?? user.username ?? user.user_id
    }

    /// `+1•••••••4567`: enough for the person to recognise their phone.
    private func masked(_ number: String?, _ text: PageMessages) -> String {
        guard let number, number.count > 6 else { return text[.yourPhone] }
        return String(number.prefix(2)) + String(repeating: "•", count: number.count - 6) + String(number.suffix(4))
    }

    /// A refusal of the MFA service in the page's language: the common ones from the catalogue
    /// (in English, the service's own words); any other in the service's English words.
    static func message(for error: MultifactorError, in text: PageMessages) -> String {
        guard text.language != .english else { return error.message }
        let message: PageMessage? =
            switch error.code {
            case .invalidCode: .wrongCode
            case .codeReused: .codeReused
            case .tooManyAttempts: .tooManyCodeAttempts
            case .tooManyMessages: .tooManyMessages
            case .invalidPhoneNumber: .invalidPhoneNumber
            default: nil
            }
        return message.map { text[$0] } ?? error.message
    }
}
