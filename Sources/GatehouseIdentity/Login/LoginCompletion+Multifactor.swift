import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// A login waiting on MFA, as the MFA page (`/u/mfa`) or the MFA API (`/mfa/*`) sees it.
public struct PendingMultifactor: Sendable {
    public let user: UserRecord
    public let client: ClientRecord?
    public internal(set) var requirement: MultifactorRequirement
    /// Every authenticator of the user, pending ones included.
    public let enrollments: [MultifactorEnrollmentRecord]
    let stateHash: String
    var suspended: SuspendedLogin

    /// The `/authorize` transaction of a browser login (its client, for the page).
    public var transaction: LoginTransactionRecord? { suspended.attempt.transaction }

    /// The user's confirmed authenticator of `factor`, if any.
    public func confirmed(_ factor: MultifactorFactor) -> MultifactorEnrollmentRecord? {
        enrollments.first { $0.kind == factor.enrollmentKind && $0.status == .confirmed }
    }
}

/// What proves a factor to a login waiting on MFA.
public enum MultifactorProof: Sendable {
    /// A code from an authenticator the user has (`otp`, `phone`, `recovery-code`).
    case code(MultifactorFactor, String)
    /// The first code of the authenticator this login's enrolment started.
    case enrollment(id: String, code: String)
}

/// A factor proved: the login may go on.
public struct MultifactorProved: Sendable {
    public let factor: MultifactorFactor
    /// A recovery code to show once: issued with a first enrolment, or the one that replaces a
    /// recovery code just used.
    public let recoveryCode: String?
}

extension LoginCompletion {
    /// How long an `mfa_token` works (Auth0: 10 minutes, not configurable).
    public static let mfaTokenLifetimeMillis: EpochMillis = 600_000

    // MARK: When a login needs MFA

    /// `api.multifactor.enable(provider, {allowRememberBrowser})` at the end of the flow
    /// (`auth0-actions.md` §3.1): `nil` when no MFA is needed now (`none`, a factor already
    /// proved in this login, or a remembered browser the action allowed). A user with an
    /// authenticator of an enabled factor is challenged; one without enrols.
    func requirement(for request: MultifactorRequest, attempt: LoginAttempt, user: UserRecord, progress: PostLoginProgress)
        async throws -> MultifactorRequirement?
    {
        let settings = try await multifactor.settings()
        let factors: [MultifactorFactor]
        switch MultifactorSelection.forProvider(request.provider, settings: settings) {
        case .none: return nil
        case .unsupported(let message): throw refusal(message + " The login was not completed.", progress: progress)
        case .factors(let enabled): factors = enabled
        }
        guard !factors.isEmpty else {
            throw refusal(
                "An action requires multi-factor authentication (api.multifactor.enable('\(request.provider)')), but no factor is"
                    + " enabled on this tenant; enable otp, sms or recovery-code with PUT /api/v2/guardian/factors/{name}.",
                progress: progress)
        }
        if !attempt.provedFactors.isEmpty { return nil }
        if request.allowRememberBrowser, let hash = attempt.rememberedBrowserHash,
            try await multifactor.isBrowserRemembered(userID: user.user_id, tokenHash: hash)
        {
            return nil
        }
        let enrollments = try await storage.read { try await $0.multifactor.enrollments(userID: user.user_id) }
        let confirmed = Set(enrollments.filter { $0.status == .confirmed }.map(\.kind))
        let challengeable = factors.filter { confirmed.contains($0.enrollmentKind) }
        if !challengeable.isEmpty {
            return MultifactorRequirement(mode: .challenge, factors: challengeable, allowRememberBrowser: request.allowRememberBrowser)
        }
        // A recovery code is issued with a first OTP or SMS enrolment, never enrolled alone.
        let enrollable = factors.filter { $0 != .recoveryCode }
        guard !enrollable.isEmpty else {
            throw refusal(
                "An action requires multi-factor authentication, but the only factor enabled on this tenant is recovery-code,"
                    + " which is issued with an otp or sms enrolment; enable otp or sms.", progress: progress)
        }
        return MultifactorRequirement(mode: .enroll, factors: enrollable, allowRememberBrowser: request.allowRememberBrowser)
    }

    /// `api.authentication.challengeWith…` / `enrollWith…` (`auth0-actions.md` §3.1): the factors
    /// the selectors name that are enabled on the tenant and (to challenge) enrolled by the user
    /// (to enrol: not enrolled yet). `nil` when one of them was already proved in this login, or
    /// (to enrol) the user already has one. Nothing valid left refuses the login, as on Auth0.
    func requirement(
        forChallenge suspension: PostLoginSuspension, attempt: LoginAttempt, user: UserRecord, progress: PostLoginProgress,
        postLogin: PostLoginFlow
    ) async throws -> MultifactorRequirement? {
        let selectors = Self.selectors(of: suspension)
        let asked = selectors.compactMap(MultifactorSelection.factor(forSelector:))
        if asked.contains(where: { attempt.provedFactors.contains($0.rawValue) }) { return nil }
        let settings = try await multifactor.settings()
        let enrollments = try await storage.read { try await $0.multifactor.enrollments(userID: user.user_id) }
        let call = "\(suspension.method)(\(selectors.joined(separator: ", ")))"
        if suspension.method.hasPrefix("api.authentication.enroll") {
            let confirmed = Set(enrollments.filter { $0.status == .confirmed }.map(\.kind))
            let enrollable = MultifactorSelection.enrollable(selectors, settings: settings).filter { $0 != .recoveryCode }
            if enrollable.contains(where: { confirmed.contains($0.enrollmentKind) }) { return nil }
            guard !enrollable.isEmpty else {
                throw postLogin.refusal(
                    "The action '\(suspension.actionName)' called \(call), but none of those factors can be enrolled on this"
                        + " tenant (enabled factors: \(settings.enabledFactors.map(\.rawValue).joined(separator: ", ")));"
                        + " the login was not completed.", progress: progress)
            }
            return MultifactorRequirement(mode: .enroll, factors: enrollable, allowRememberBrowser: false)
        }
        let challengeable = MultifactorSelection.challengeable(selectors, settings: settings, enrollments: enrollments)
        guard !challengeable.isEmpty else {
            throw postLogin.refusal(
                "The action '\(suspension.actionName)' called \(call), but none of those factors is both enabled on this tenant and"
                    + " enrolled by the user; the login was not completed.", progress: progress)
        }
        return MultifactorRequirement(mode: .challenge, factors: challengeable, allowRememberBrowser: false)
    }

    /// The factor selectors' `type`s of a `challengeWith` / `challengeWithAny` / `enrollWith` /
    /// `enrollWithAny` call: `(factor, {additionalFactors})` or `([factors])`.
    static func selectors(of suspension: PostLoginSuspension) -> [String] {
        let args = suspension.args
        if suspension.method.hasSuffix("Any") { return (args.first?.arrayValue ?? []).compactMap { $0["type"]?.stringValue } }
        let first = args.first?["type"]?.stringValue.map { [$0] } ?? []
        let additional = (args.dropFirst().first?["additionalFactors"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
        return first + additional
    }

    /// Suspends the login until a factor is proved: a browser goes to the MFA page (`prompt=none`
    /// is refused with `interaction_required`); the token endpoint gets an `mfa_token`, which
    /// works for 10 minutes.
    func suspendForMultifactor(
        _ attempt: LoginAttempt, user: UserRecord, request: ActionEventRequest, progress: PostLoginProgress,
        suspension: PostLoginSuspension, requirement: MultifactorRequirement
    ) async throws -> Outcome {
        var suspended = SuspendedLogin(attempt: attempt, progress: progress, suspension: suspension)
        suspended.multifactor = requirement
        if attempt.loginProtocol.isBrowser {
            guard attempt.canRedirect, let browserHash = attempt.browserHash else {
                var refusal = refusal(
                    "Multi-factor authentication is required, and this login (prompt=none) cannot show it.", progress: progress)
                refusal.error.code = .interactionRequired
                throw refusal
            }
            return .multifactor(state: try await store(suspended, user: user, request: request, browserHash: browserHash))
        }
        return .multifactor(
            state: try await store(
                suspended, user: user, request: request, browserHash: nil, lifetime: Self.mfaTokenLifetimeMillis))
    }

    func refusal(_ description: String, progress: PostLoginProgress) -> PostLoginRefusal {
        var error = OAuthError(.accessDenied, description, status: 403)
        error.executionIDs = progress.executionIDs
        return PostLoginRefusal(error: error, metadata: MetadataChanges(), revokesSession: false, revokesRefreshToken: false)
    }

    // MARK: Meeting it

    /// The browser login `state` names that waits on MFA, for the MFA page: only from the browser
    /// that was sent there. Throws `ResumeFailure`.
    public func pendingMultifactor(state: String?, browserSecret: String?) async throws -> PendingMultifactor {
        let (hash, record) = try await liveSuspension(state: state, reason: .mfa)
        guard let expected = record.browser_hash, let browserSecret, !browserSecret.isEmpty,
            SecretComparison.equal(SecretComparison.digest(browserSecret), expected)
        else { throw ResumeFailure.otherBrowser }
        return try await pending(hash: hash, record: record)
    }

    /// The back-channel login an `mfa_token` names (the MFA API). Throws `ResumeFailure`.
    public func pendingMultifactor(mfaToken: String?) async throws -> PendingMultifactor {
        let (hash, record) = try await liveSuspension(state: mfaToken, reason: .mfa)
        guard record.browser_hash == nil else { throw ResumeFailure.unknown }
        return try await pending(hash: hash, record: record)
    }

    private func pending(hash: String, record: LoginSuspensionRecord) async throws -> PendingMultifactor {
        let suspended = try record.login.decoded(as: SuspendedLogin.self)
        guard let requirement = suspended.multifactor else { throw ResumeFailure.unknown }
        let (user, client, enrollments) = try await storage.read { repositories in
            (
                try await repositories.users.get(record.user_id), try await repositories.clients.get(record.client_id),
                try await repositories.multifactor.enrollments(userID: record.user_id)
            )
        }
        guard let user, !user.blocked else { throw ResumeFailure.unknown }
        return PendingMultifactor(
            user: user, client: client, requirement: requirement, enrollments: enrollments, stateHash: hash, suspended: suspended)
    }

    /// Remembers the authenticator an enrolment on the page or the MFA API started for this
    /// login: only it can be confirmed to meet the requirement.
    public func started(enrollmentID: String, for pending: inout PendingMultifactor) async throws {
        pending.requirement.enrollmentID = enrollmentID
        try await save(pending)
    }

    /// Checks `proof` against the requirement and the user's authenticators (a wrong code counts
    /// towards the user's brute-force bucket) and records the factor as proved. Throws
    /// `MultifactorError`.
    public func prove(_ proof: MultifactorProof, for pending: inout PendingMultifactor, now: EpochMillis = Timestamp.nowMillis())
        async throws -> MultifactorProved
    {
        let userID = pending.user.user_id
        let proved: MultifactorProved
        switch proof {
        case .code(let factor, let code):
            guard pending.requirement.mode == .challenge, pending.requirement.factorList.contains(factor) else {
                throw MultifactorError(.factorNotEnabled, "This login cannot be completed with the \(factor.rawValue) factor.")
            }
            switch factor {
            case .otp:
                try await multifactor.verifyTOTP(userID: userID, code: code, now: now)
                proved = MultifactorProved(factor: factor, recoveryCode: nil)
            case .phone:
                try await multifactor.verifyPhoneCode(userID: userID, code: code, now: now)
                proved = MultifactorProved(factor: factor, recoveryCode: nil)
            case .recoveryCode:
                let use = try await multifactor.verifyRecoveryCode(userID: userID, code: code, now: now)
                proved = MultifactorProved(factor: factor, recoveryCode: use.newRecoveryCode)
            }
        case .enrollment(let id, let code):
            guard pending.requirement.mode == .enroll, pending.requirement.enrollmentID == id,
                let enrollment = pending.enrollments.first(where: { $0.id == id })
            else {
                throw MultifactorError(.enrollmentNotFound, "This enrolment was not started for this login; start it again.")
            }
            let confirmation: MultifactorConfirmation
            // A recovery code already shown by `/mfa/associate` is the one that becomes the user's.
            let shown = pending.requirement.recoveryCodeHash
            switch enrollment.kind {
            case .totp:
                confirmation = try await multifactor.confirmTOTPEnrollment(
                    userID: userID, enrollmentID: id, code: code, recoveryCodeHash: shown, now: now)
            case .phone:
                confirmation = try await multifactor.confirmPhoneEnrollment(
                    userID: userID, enrollmentID: id, code: code, recoveryCodeHash: shown, now: now)
            case .recoveryCode: throw MultifactorError(.enrollmentNotFound, "A recovery code is not enrolled on its own.")
            }
            proved = MultifactorProved(
                factor: enrollment.kind == .totp ? .otp : .phone, recoveryCode: confirmation.recoveryCode)
        }
        pending.requirement.provedFactor = proved.factor.rawValue
        try await save(pending)
        return proved
    }

    func save(_ pending: PendingMultifactor) async throws {
        var suspended = pending.suspended
        suspended.multifactor = pending.requirement
        let login = try JSONValue(encoding: suspended)
        let now = Timestamp.nowMillis()
        guard try await storage.transaction({ try await $0.loginSuspensions.update(stateHash: pending.stateHash, login: login, now: now) })
        else { throw ResumeFailure.used }
    }

    /// Goes on with a login whose factor was proved (`prove`), once: `mfa` joins
    /// `event.authentication.methods` and the ID token's `amr`, and the actions after the one
    /// that asked run (or the login is issued). Throws `ResumeFailure` when it was used or
    /// expired meanwhile, or no factor was proved.
    public func resumeMultifactor(_ pending: PendingMultifactor, request: ActionEventRequest, configurationVersion: Int64)
        async throws -> Outcome
    {
        guard pending.requirement.provedFactor != nil else { throw ResumeFailure.unknown }
        let now = Timestamp.nowMillis()
        guard let claimed = try await storage.read({ try await $0.loginSuspensions.consume(stateHash: pending.stateHash, now: now) })
        else { throw ResumeFailure.used }
        var suspended = try claimed.login.decoded(as: SuspendedLogin.self)
        guard let factor = suspended.multifactor?.provedFactor else {
            // The stored login does not record the proof the caller holds: start again.
            throw ResumeFailure.unknown
        }
        suspended.attempt.provedFactors.append(factor)
        suspended.attempt.authenticationMethods.append(AuthenticationMethodRecord(name: "mfa", timestamp: now))
        let resuming = suspended
        return try await releasingOnPlatformFailure(pending.stateHash) {
            try await resume(resuming, request: request, configurationVersion: configurationVersion)
        }
    }
}
