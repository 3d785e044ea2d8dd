import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseStorage

extension LoginCompletion {
    /// Why `/continue` could not resume a login; each is shown to the person as a page.
    public enum ResumeFailure: Error, Equatable, Sendable {
        /// No `state`, or one no login was suspended with.
        case unknown
        case expired
        /// The `state` was used already (a replayed `/continue`).
        case used
        /// The browser does not hold the cookie of the browser that was sent away.
        case otherBrowser
    }

    /// Stores the suspended login and tells HTTP where the browser goes. A login that cannot
    /// redirect (the token endpoint, `prompt=none`) is refused instead: `interaction_required`
    /// for `prompt=none` (`auth0-actions.md` §7), `access_denied` otherwise.
    func suspend(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest, configurationVersion: Int64,
        progress: PostLoginProgress, suspension: PostLoginSuspension
    ) async throws -> Outcome {
        guard let postLogin else { throw OAuthError(.serverError, "A login suspended without a post-login flow.") }
        switch suspension.reason {
        case .redirect:
            guard attempt.canRedirect, let browserHash = attempt.browserHash else {
                let login = "this login (\(attempt.loginProtocol.rawValue)\(attempt.isSilent ? ", prompt=none" : ""))"
                var refusal = postLogin.refusal(
                    suspension.isRule == true
                        ? "The rule '\(suspension.actionName)' set context.redirect, but \(login) cannot send the user anywhere;"
                            + " the rule should redirect only for interactive logins (context.protocol)."
                        : "The action '\(suspension.actionName)' called api.redirect.sendUserTo, but \(login) cannot send the user"
                            + " anywhere; the action should check api.redirect.canRedirect() first.",
                    progress: progress)
                if attempt.isSilent { refusal.error.code = .interactionRequired }
                throw refusal
            }
            guard let target = suspension.args.first?.stringValue, let url = URL(string: target),
                url.scheme == "https" || url.scheme == "http", url.host != nil
            else {
                throw postLogin.refusal(
                    "The action '\(suspension.actionName)' called api.redirect.sendUserTo with a URL that is not an absolute"
                        + " http(s) URL; the login was not completed.", progress: progress)
            }
            let state = try await store(
                SuspendedLogin(attempt: attempt, progress: progress, suspension: suspension), user: user, request: request,
                browserHash: browserHash)
            var parameters = [("state", state)]
            for (key, value) in (suspension.args.dropFirst().first?["query"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key })
            where key != "state" {
                parameters.append((key, value.stringValue ?? value.jsonText()))
            }
            return .redirect(url: target, parameters: parameters)
        case .mfa:
            guard
                let requirement = try await requirement(
                    forChallenge: suspension, attempt: attempt, user: user, progress: progress, postLogin: postLogin)
            else {
                // Already met in this login: the actions after the one that asked go on.
                return try await goOn(
                    attempt, user: user, client: client, request: request, configurationVersion: configurationVersion,
                    progress: progress, suspension: suspension)
            }
            return try await suspendForMultifactor(
                attempt, user: user, request: request, progress: progress, suspension: suspension, requirement: requirement)
        }
    }

    /// Writes the suspension with its new `state` (returned; only its SHA-256 is stored), and
    /// counts the login now if it was not yet counted: the person did log in.
    func store(
        _ suspended: SuspendedLogin, user: UserRecord, request: ActionEventRequest, browserHash: String?,
        lifetime: EpochMillis = suspensionLifetimeMillis
    ) async throws -> String {
        let state = RandomIdentifier.token(byteCount: 32)
        var stored = suspended
        stored.attempt.countsAsLogin = false
        let now = Timestamp.nowMillis()
        let record = LoginSuspensionRecord(
            user_id: user.user_id, client_id: suspended.attempt.clientID, browser_hash: browserHash,
            reason: suspended.suspension.reason.rawValue, created_at: now, expires_at: now + lifetime,
            login: try JSONValue(encoding: stored))
        let count = UserDirectory.LoginUpdate(userID: user.user_id, ip: request.ip, countsAsLogin: suspended.attempt.countsAsLogin)
        let transaction = suspended.attempt.transaction?.id
        try await storage.transaction { repositories in
            try await repositories.loginSuspensions.insert(stateHash: SecretComparison.digest(state), record)
            try await UserDirectory.write(count, in: repositories)
            if let transaction { try await repositories.loginTransactions.delete(transaction) }
        }
        return state
    }

    /// `/continue` (`auth0-actions.md` §7): resumes the login `state` names, once, from the
    /// browser it was sent away from. The action that redirected runs its `onContinuePostLogin`,
    /// then the actions after it, with a fresh `event.request` (`request`, the `/continue`
    /// request) and a new time budget; the actions before it do not run again.
    public func resume(
        state: String?, browserSecret: String?, request: ActionEventRequest, configurationVersion: Int64
    ) async throws -> Outcome {
        let (hash, record) = try await liveSuspension(state: state, reason: .redirect)
        guard let expected = record.browser_hash, let browserSecret, !browserSecret.isEmpty,
            SecretComparison.equal(SecretComparison.digest(browserSecret), expected)
        else { throw ResumeFailure.otherBrowser }
        guard let claimed = try await storage.read({ try await $0.loginSuspensions.consume(stateHash: hash, now: Timestamp.nowMillis()) })
        else {
            throw ResumeFailure.used
        }
        let suspended = try claimed.login.decoded(as: SuspendedLogin.self)
        return try await releasingOnPlatformFailure(hash) {
            try await resume(suspended, request: request, configurationVersion: configurationVersion)
        }
    }

    /// Runs `body`, which resumes the suspension `hash` names; when the Actions platform fails
    /// (`temporarily_unavailable`, nothing written), the suspension is made live again, so the
    /// page's "try again" works instead of "already continued".
    func releasingOnPlatformFailure(_ hash: String, _ body: () async throws -> Outcome) async throws -> Outcome {
        do {
            return try await body()
        } catch let error as OAuthError where error.code == .temporarilyUnavailable {
            try? await storage.read { try await $0.loginSuspensions.release(stateHash: hash) }
            throw error
        }
    }

    /// The live suspension `state` names, suspended for `reason` (any other reason reads as
    /// unknown: an MFA `state` does not work at `/continue`, nor the reverse).
    func liveSuspension(state: String?, reason: PostLoginSuspension.Reason) async throws -> (hash: String, LoginSuspensionRecord) {
        try await Self.liveSuspension(state: state, reason: reason.rawValue, in: storage)
    }

    /// The live suspension `state` names, suspended for `reason` (a login's, or a password
    /// reset's): `unknown` for a malformed or unknown state or another reason, `expired`, `used`.
    static func liveSuspension(state: String?, reason: String, in storage: Storage) async throws -> (
        hash: String, LoginSuspensionRecord
    ) {
        guard let state, !state.isEmpty, state.utf8.count <= 256 else { throw ResumeFailure.unknown }
        let hash = SecretComparison.digest(state)
        let found = try await storage.read { try await $0.loginSuspensions.find(stateHash: hash, now: Timestamp.nowMillis()) }
        switch found {
        case .unknown: throw ResumeFailure.unknown
        case .expired: throw ResumeFailure.expired
        case .consumed: throw ResumeFailure.used
        case .live(let record):
            guard record.reason == reason else { throw ResumeFailure.unknown }
            return (hash, record)
        }
    }

    /// Goes on with a suspended login whose reason is settled (the browser came back, or the
    /// MFA challenge was met).
    func resume(_ suspended: SuspendedLogin, request: ActionEventRequest, configurationVersion: Int64) async throws -> Outcome {
        let attempt = suspended.attempt
        let (user, client) = try await storage.read { repositories in
            (try await repositories.users.get(attempt.userID), try await repositories.clients.get(attempt.clientID))
        }
        guard let user, !user.blocked, let client else {
            return .refused(
                OAuthError(.accessDenied, "The user or the application of this login no longer exists or is blocked.", status: 403),
                transaction: attempt.transaction)
        }
        return try await concluding(attempt, user: user, client: client, request: request) {
            try await goOn(
                attempt, user: user, client: client, request: request, configurationVersion: configurationVersion,
                progress: suspended.progress, suspension: suspended.suspension)
        }
    }

    /// Goes on from `suspension`: the step it names runs with the event the suspended run left
    /// (and a fresh `request`), or, with no step left, the flow ends. Inside `concluding`.
    func goOn(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest, configurationVersion: Int64,
        progress: PostLoginProgress, suspension: PostLoginSuspension
    ) async throws -> Outcome {
        guard let step = suspension.resumption else {
            return try await end(
                attempt, user: user, client: client, request: request, configurationVersion: configurationVersion, progress: progress)
        }
        var event = suspension.event
        if case .object(var fields) = event {
            fields["request"] = request.json(geoip: geoip, includeQuery: true)
            fields["authentication"] = PostLoginContext.authenticationJSON(attempt.authenticationMethods)
            event = .object(fields)
        }
        return try await runFlow(
            attempt, user: user, client: client, request: request, configurationVersion: configurationVersion, progress: progress,
            resuming: (step, event))
    }
}
