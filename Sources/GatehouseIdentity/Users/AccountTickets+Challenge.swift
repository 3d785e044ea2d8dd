import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

/// Where a password reset's `password-reset-post-challenge` flow stands, kept with the ticket
/// (`AccountTicketRecord.challenge`), so any instance serves the next step.
struct ResetChallenge: Sendable, Codable, Equatable {
    enum Status: String, Sendable, Codable {
        /// The new password may be set.
        case passed
        /// An action refused the reset (`message`).
        case denied
        /// An action asked for a factor (`requirement`).
        case multifactor
        /// An action sent the browser away; `/continue` resumes.
        case redirect
    }

    var status: Status
    var message: String?
    /// `api.transaction.setResultUrl`: where the browser goes after the reset.
    var resultURL: String?
    var executionIDs: [String] = []
    var requirement: MultifactorRequirement?
    /// Where the flow goes on after the factor or the redirect (`nil`: no action left).
    var resumption: FlowRunner.Resumption?
    var event: JSONValue?
}

/// What the reset page shows next.
public enum ResetStep: Sendable {
    case setPassword
    /// An action refused the reset; the message says why.
    case denied(String)
    /// Prove one of these factors (the user's authenticators are listed for the page).
    case multifactor(MultifactorRequirement, enrollments: [MultifactorEnrollmentRecord])
    /// Send the browser to `url` with `parameters` (`state` first).
    case redirect(url: String, parameters: [(String, String)])
}

extension AccountTickets {
    /// Why the post-challenge flow could not decide.
    public enum ChallengeFailure: Error, Sendable {
        /// An action failed or asked for something a reset cannot do; the message says so.
        case failed(String)
        /// The Actions platform could not run the flow; try again.
        case unavailable
    }

    /// The suspension reason of a reset waiting for the browser to come back to `/continue`.
    static let resetSuspensionReason = "password-reset"

    /// The step a password-change ticket is at: on its first opening the post-challenge flow
    /// runs (when actions are bound) and its outcome is kept with the ticket.
    public func step(
        _ opened: Opened, token: String, request: ActionEventRequest, configurationVersion: Int64, browserHash: String
    ) async throws -> ResetStep {
        if let state = opened.ticket.challenge.flatMap({ try? $0.decoded(as: ResetChallenge.self) }) {
            return try await show(state, user: opened.user)
        }
        guard let postChallenge else { return .setPassword }
        let run = try await postChallenge.run(
            user: opened.user, client: opened.client, request: request, openedAt: Timestamp.nowMillis(),
            configurationVersion: configurationVersion)
        return try await settle(
            run, previous: ResetChallenge(status: .passed), opened: opened, token: token, request: request, browserHash: browserHash)
    }

    /// Turns a run of the flow into the stored state and the next step.
    private func settle(
        _ run: PasswordResetPostChallenge.Run?, previous: ResetChallenge, opened: Opened, token: String, request: ActionEventRequest,
        browserHash: String
    ) async throws -> ResetStep {
        var state = previous
        state.requirement = nil
        state.resumption = nil
        state.event = nil
        var step = ResetStep.setPassword
        switch run {
        case nil:
            state.status = .passed
        case .completed(let executionID, let commands):
            state.executionIDs.append(executionID)
            state.resultURL = Self.resultURL(commands) ?? state.resultURL
            state.status = .passed
        case .denied(let reason, let executionID):
            state.executionIDs.append(executionID)
            state.status = .denied
            state.message = reason
            step = .denied(reason)
        case .suspended(let method, let args, let actionName, let resumption, let event, let executionID, let commands):
            state.executionIDs.append(executionID)
            state.resultURL = Self.resultURL(commands) ?? state.resultURL
            state.resumption = resumption
            state.event = event
            if method == "api.redirect.sendUserTo" {
                guard let target = args.first?.stringValue, let url = URL(string: target), url.scheme == "https" || url.scheme == "http"
                else {
                    throw ChallengeFailure.failed("The action '\(actionName)' called api.redirect.sendUserTo without an absolute URL.")
                }
                let resume = RandomIdentifier.token(byteCount: 32)
                let now = Timestamp.nowMillis()
                try await storage.read {
                    try await $0.loginSuspensions.insert(
                        stateHash: SecretComparison.digest(resume),
                        LoginSuspensionRecord(
                            user_id: opened.user.user_id, client_id: opened.client?.client_id ?? "", browser_hash: browserHash,
                            reason: Self.resetSuspensionReason, created_at: now, expires_at: min(opened.ticket.expires_at, now + 3_600_000),
                            login: .object(["ticket_hash": .string(SecretComparison.digest(token))])))
                }
                var parameters = [("state", resume)]
                for (key, value) in (args.dropFirst().first?["query"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key })
                where key != "state" {
                    parameters.append((key, value.stringValue ?? value.jsonText()))
                }
                state.status = .redirect
                step = .redirect(url: target, parameters: parameters)
            } else {
                let selectors = LoginCompletion.selectors(
                    of: PostLoginSuspension(
                        reason: .mfa, method: method, args: args, actionName: actionName, resumption: nil, event: .null))
                let (settings, enrollments) = try await storage.read { repositories in
                    (
                        GuardianFactorSettings(stored: try await repositories.guardianSettings.all()),
                        try await repositories.multifactor.enrollments(userID: opened.user.user_id)
                    )
                }
                let factors = MultifactorSelection.challengeable(selectors, settings: settings, enrollments: enrollments)
                guard !factors.isEmpty else {
                    state.status = .denied
                    state.message =
                        "The action '\(actionName)' asked for a second factor the account does not have; the password cannot be reset"
                        + " here. Contact support."
                    step = .denied(state.message ?? "")
                    break
                }
                state.status = .multifactor
                let requirement = MultifactorRequirement(mode: .challenge, factors: factors, allowRememberBrowser: false)
                state.requirement = requirement
                step = .multifactor(requirement, enrollments: enrollments)
            }
        }
        try await save(state, ticket: opened.ticket, token: token)
        return step
    }

    private func show(_ state: ResetChallenge, user: UserRecord) async throws -> ResetStep {
        switch state.status {
        case .passed: return .setPassword
        case .denied: return .denied(state.message ?? "The password reset was refused.")
        case .redirect:
            throw ChallengeFailure.failed(
                "This reset is waiting for you to come back from another page. Open the link again to restart it.")
        case .multifactor:
            let enrollments = try await storage.read { try await $0.multifactor.enrollments(userID: user.user_id) }
            return .multifactor(
                state.requirement ?? MultifactorRequirement(mode: .challenge, factors: [], allowRememberBrowser: false),
                enrollments: enrollments)
        }
    }

    private func save(_ state: ResetChallenge, ticket: AccountTicketRecord, token: String) async throws {
        var ticket = ticket
        ticket.challenge = try JSONValue(encoding: state)
        let updated = ticket
        guard
            try await storage.read({
                try await $0.accountTickets.update(tokenHash: SecretComparison.digest(token), updated, now: Timestamp.nowMillis())
            })
        else { throw Failure.used }
    }

    /// `api.transaction.setResultUrl(url, {query})`: the last call wins.
    static func resultURL(_ commands: [Command]) -> String? {
        guard let call = commands.last(where: { $0.method == "api.transaction.setResultUrl" }),
            let target = call.args.first?.stringValue, var components = URLComponents(string: target)
        else { return nil }
        let query = (call.args.dropFirst().first?["query"]?.objectValue ?? [:]).sorted { $0.key < $1.key }
        if !query.isEmpty {
            components.queryItems =
                (components.queryItems ?? []) + query.map { URLQueryItem(name: $0.key, value: $0.value.stringValue ?? $0.value.jsonText()) }
        }
        return components.string
    }

    /// A code for the factor the post-challenge flow asked for (a wrong one counts towards the
    /// user's brute-force bucket); then the actions after the one that asked run.
    public func proveFactor(
        token: String?, factor: MultifactorFactor, code: String, request: ActionEventRequest, configurationVersion: Int64,
        browserHash: String
    ) async throws -> ResetStep {
        let opened = try await open(token, kind: .passwordChange)
        guard let state = opened.ticket.challenge.flatMap({ try? $0.decoded(as: ResetChallenge.self) }), state.status == .multifactor,
            let requirement = state.requirement, requirement.factorList.contains(factor)
        else { throw MultifactorError(.factorNotEnabled, "This reset cannot be completed with the \(factor.rawValue) factor.") }
        let userID = opened.user.user_id
        switch factor {
        case .otp: try await multifactor.verifyTOTP(userID: userID, code: code)
        case .phone: try await multifactor.verifyPhoneCode(userID: userID, code: code)
        case .recoveryCode: _ = try await multifactor.verifyRecoveryCode(userID: userID, code: code)
        }
        return try await goOn(
            state, opened: opened, token: token ?? "", request: request, configurationVersion: configurationVersion,
            browserHash: browserHash)
    }

    /// Runs the actions after a met factor or a redirect back, or passes the reset when none is left.
    private func goOn(
        _ state: ResetChallenge, opened: Opened, token: String, request: ActionEventRequest, configurationVersion: Int64,
        browserHash: String
    ) async throws -> ResetStep {
        var run: PasswordResetPostChallenge.Run?
        if let step = state.resumption, let postChallenge {
            var event = state.event ?? .object([:])
            if case .object(var fields) = event {
                var methods = fields["authentication"]?["methods"]?.arrayValue ?? []
                methods.append(.object(["name": "mfa", "timestamp": .string(Timestamp.iso8601(Timestamp.nowMillis()))]))
                if state.status == .multifactor { fields["authentication"] = .object(["methods": .array(methods)]) }
                event = .object(fields)
            }
            run = try await postChallenge.run(
                user: opened.user, client: opened.client, request: request, openedAt: Timestamp.nowMillis(),
                configurationVersion: configurationVersion, resuming: (step, event))
        }
        return try await settle(run, previous: state, opened: opened, token: token, request: request, browserHash: browserHash)
    }

    /// `/continue` for a reset an action sent away: the same action's `onContinuePostChallenge`
    /// runs, then the rest. Only from the browser that left; the suspension works once. Returns
    /// the next step; the browser goes back to the reset page, which holds the ticket in a cookie.
    public func resumeChallenge(
        state resumeState: String?, browserSecret: String?, ticketToken: String?, request: ActionEventRequest,
        configurationVersion: Int64
    ) async throws -> ResetStep {
        let (hash, record) = try await LoginCompletion.liveSuspension(
            state: resumeState, reason: Self.resetSuspensionReason, in: storage)
        guard let expected = record.browser_hash, let browserSecret, !browserSecret.isEmpty,
            SecretComparison.equal(SecretComparison.digest(browserSecret), expected),
            let ticketToken, record.login["ticket_hash"]?.stringValue == SecretComparison.digest(ticketToken)
        else { throw LoginCompletion.ResumeFailure.otherBrowser }
        guard try await storage.read({ try await $0.loginSuspensions.consume(stateHash: hash, now: Timestamp.nowMillis()) }) != nil
        else {
            throw LoginCompletion.ResumeFailure.used
        }
        let opened = try await open(ticketToken, kind: .passwordChange)
        guard let state = opened.ticket.challenge.flatMap({ try? $0.decoded(as: ResetChallenge.self) }), state.status == .redirect
        else { throw LoginCompletion.ResumeFailure.unknown }
        return try await goOn(
            state, opened: opened, token: ticketToken, request: request, configurationVersion: configurationVersion,
            browserHash: expected)
    }

    /// Whether the reset may set the password now (the post-challenge flow passed), and where the
    /// browser goes after it (`setResultUrl`).
    func passedChallenge(_ ticket: AccountTicketRecord) -> (passed: Bool, resultURL: String?) {
        guard let state = ticket.challenge.flatMap({ try? $0.decoded(as: ResetChallenge.self) }) else { return (postChallenge == nil, nil) }
        return (state.status == .passed, state.resultURL)
    }
}
