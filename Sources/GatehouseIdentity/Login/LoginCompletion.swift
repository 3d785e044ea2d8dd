import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// The end of every login (DESIGN.md, "The middle floor"): the hosted login and sign-up pages,
/// SSO at `/authorize`, the password and password-realm grants, refresh, and `/continue` all
/// hand their `LoginAttempt` here. The post-login flow runs, and the login is issued (a code
/// or tokens, written in one transaction with the user's login and metadata), refused (with
/// the side effects Auth0 keeps), or suspended in the database until the browser comes back.
/// HTTP only renders the outcome.
public struct LoginCompletion: Sendable {
    /// How long a suspended login waits for the browser (the login transaction's lifetime).
    public static let suspensionLifetimeMillis: EpochMillis = 3_600_000

    public enum Outcome: Sendable {
        /// A browser login: send `code` to the transaction's `redirect_uri`; `sessionSecret` is
        /// the new SSO session's cookie value (`nil` when an existing session was re-used).
        case code(String, sessionSecret: String?, transaction: LoginTransactionRecord, executionIDs: [String])
        /// A token-endpoint login.
        case tokens(TokenResponse)
        /// Refused by an action: a browser login delivers it to the transaction's `redirect_uri`,
        /// the token endpoint answers with it.
        case refused(OAuthError, transaction: LoginTransactionRecord?)
        /// `api.redirect.sendUserTo`: send the browser to `url` with `parameters` (`state` first).
        case redirect(url: String, parameters: [(String, String)])
        /// The login waits for a second factor: a browser goes to the MFA page with `state`; the
        /// token endpoint answers `mfa_required` with `state` as the `mfa_token`.
        case multifactor(state: String)
    }

    let storage: Storage
    let postLogin: PostLoginFlow?
    let loginTokens: LoginTokenIssuer
    let authorization: AuthorizationService
    let geoip: MaxMindDatabase?
    let multifactor: MultifactorService

    init(
        storage: Storage, postLogin: PostLoginFlow?, loginTokens: LoginTokenIssuer, geoip: MaxMindDatabase?,
        multifactor: MultifactorService
    ) {
        self.multifactor = multifactor
        self.storage = storage
        self.postLogin = postLogin
        self.loginTokens = loginTokens
        self.authorization = AuthorizationService(storage: storage)
        self.geoip = geoip
    }

    /// Runs the post-login flow for `attempt` and ends the login.
    public func complete(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest, configurationVersion: Int64
    ) async throws -> Outcome {
        try await concluding(attempt, user: user, client: client, request: request) {
            try await runFlow(
                attempt, user: user, client: client, request: request, configurationVersion: configurationVersion,
                progress: PostLoginProgress(), resuming: nil)
        }
    }

    /// Runs `body`, which ends the login or suspends it; writes the refusal it may throw, and
    /// logs how a browser login ended.
    func concluding(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest,
        _ body: () async throws -> Outcome
    ) async throws -> Outcome {
        let outcome: Outcome
        do {
            outcome = try await body()
        } catch let refusal as PostLoginRefusal {
            try await write(refusal, for: attempt, user: user, client: client, request: request)
            outcome = .refused(refusal.error, transaction: attempt.transaction)
        }
        await logBrowserLogin(outcome, attempt: attempt, user: user, client: client, request: request)
        return outcome
    }

    /// Runs the actions left, then ends or suspends the login.
    /// Throws `PostLoginRefusal` when the login is refused.
    func runFlow(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest, configurationVersion: Int64,
        progress: PostLoginProgress, resuming: (step: FlowRunner.Resumption, event: JSONValue)?
    ) async throws -> Outcome {
        guard let postLogin else { return try await issue(attempt, user: user, client: client, request: request, decision: .none) }
        var context = PostLoginContext(
            loginProtocol: attempt.loginProtocol, user: user, client: client, request: request, transaction: attempt.transaction,
            requestedScopes: ScopeList(attempt.requestedScope), audience: attempt.audience, authenticatedAt: attempt.authenticatedAt,
            sessionID: attempt.session?.id ?? attempt.refreshToken?.session_id, refreshToken: attempt.refreshToken,
            configurationVersion: configurationVersion, session: attempt.session)
        context.authenticationMethods = attempt.authenticationMethods
        switch try await postLogin.run(context, after: progress, resuming: resuming) {
        case .completed(let progress):
            return try await end(
                attempt, user: user, client: client, request: request, configurationVersion: configurationVersion, progress: progress)
        case .suspended(let progress, let suspension):
            return try await suspend(
                attempt, user: user, client: client, request: request, configurationVersion: configurationVersion, progress: progress,
                suspension: suspension)
        }
    }

    /// Every action ran: the MFA an action asked for with `api.multifactor.enable` comes now
    /// (`auth0-actions.md` §3.1: deferred to the end of the flow), then the login is issued.
    func end(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest, configurationVersion: Int64,
        progress: PostLoginProgress
    ) async throws -> Outcome {
        let decision = try postLogin?.decide(progress) ?? .none
        var attempt = attempt
        // `api.authentication.recordMethod(url)` (continue handlers): a method of the session.
        for command in progress.commands where command.method == "api.authentication.recordMethod" {
            if let url = command.args.first?.stringValue, !attempt.authenticationMethods.contains(where: { $0.name == url }) {
                attempt.authenticationMethods.append(AuthenticationMethodRecord(name: url, timestamp: Timestamp.nowMillis()))
            }
        }
        if let multifactor = decision.multifactor,
            let requirement = try await requirement(for: multifactor, attempt: attempt, user: user, progress: progress)
        {
            let suspension = PostLoginSuspension(
                reason: .mfa, method: "api.multifactor.enable", args: [.string(multifactor.provider)], actionName: "",
                resumption: nil, event: .null)
            return try await suspendForMultifactor(
                attempt, user: user, request: request, progress: progress, suspension: suspension, requirement: requirement)
        }
        return try await issue(attempt, user: user, client: client, request: request, decision: decision)
    }

    /// Issues what the login ends with: a code for a browser, tokens for the token endpoint.
    func issue(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest, decision: PostLoginDecision
    ) async throws -> Outcome {
        let update = UserDirectory.LoginUpdate(
            userID: user.user_id, ip: request.ip, countsAsLogin: attempt.countsAsLogin, metadata: decision.metadata)
        var decision = decision
        if !attempt.provedFactors.isEmpty { decision.tokens.amr = ["mfa"] }
        if attempt.loginProtocol.isBrowser, let transaction = attempt.transaction, var session = attempt.session {
            session.authentication_methods = attempt.authenticationMethods
            let current = session
            session = try await refusing { try current.applying(decision.sessions.session) }
            let secret = attempt.isNewSession ? RandomIdentifier.token(byteCount: 32) : nil
            let code = try await authorization.issueCode(
                for: transaction, session: session, newSessionSecret: secret, customization: decision.tokens, login: update)
            return .code(code, sessionSecret: secret, transaction: transaction, executionIDs: decision.executionIDs)
        }
        let rotating = client.refresh_token.rotation_type == "rotating"
        let sessionID = attempt.session?.id ?? attempt.refreshToken?.session_id
        let changes = decision.sessions
        // What a token-endpoint login writes besides its tokens: the user's login and metadata,
        // and what actions asked for the session of a refresh token and for a refresh token kept
        // as it is (a rotated one passes its metadata and the changes to its successor).
        let keepsToken = attempt.refreshToken != nil && !rotating && !changes.refreshToken.isEmpty
        if !update.isEmpty || (sessionID != nil && !changes.session.isEmpty) || keepsToken {
            try await refusing {
                try await storage.transaction { repositories in
                    try await UserDirectory.write(update, in: repositories)
                    if let sessionID, !changes.session.isEmpty {
                        _ = try await repositories.sessions.apply(changes.session, toSession: sessionID)
                    }
                    if let token = attempt.refreshToken, keepsToken {
                        _ = try await repositories.refreshTokens.apply(changes.refreshToken, toToken: token.id)
                    }
                }
            }
        }
        var scope = ScopeList(attempt.requestedScope)
        if attempt.loginProtocol == .refreshToken && !rotating { scope = scope.filter { $0 != "offline_access" } }
        var grant = LoginGrant(
            user: user, client: client, requestedScope: scope, audience: attempt.audience, nonce: nil,
            authTime: attempt.authenticatedAt / 1000, sessionID: sessionID, refreshFamilyID: attempt.refreshToken?.family_id,
            customization: decision.tokens)
        if let token = attempt.refreshToken {
            grant.refreshMetadata = token.refresh_token_metadata
            grant.refreshChanges = changes.refreshToken
        }
        let issued = grant
        var response = try await refusing { try await loginTokens.issue(issued) }
        if attempt.loginProtocol == .refreshToken && !rotating { response.refresh_token = nil }
        response.executionIDs = decision.executionIDs
        return .tokens(response)
    }

    /// Runs `body`; metadata it cannot store under Auth0's limits (`SessionMetadataError`)
    /// refuses the login with Auth0's text, as an invalid call does.
    func refusing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SessionMetadataError {
            throw PostLoginRefusal(
                error: OAuthError(.accessDenied, error.message, status: 403), metadata: MetadataChanges(), revokesSession: false,
                revokesRefreshToken: false)
        }
    }

    /// Writes what a refused login keeps (Auth0 keeps those side effects): the user's login and
    /// the metadata asked for before the refusal, `api.session.revoke` / `api.refreshToken.revoke`
    /// (tenant log `srrt`), and the end of the browser's transaction.
    func write(_ refusal: PostLoginRefusal, for attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest)
        async throws
    {
        let update = UserDirectory.LoginUpdate(
            userID: user.user_id, ip: request.ip, countsAsLogin: attempt.countsAsLogin, metadata: refusal.metadata)
        let refreshToken = refusal.revokesRefreshToken ? attempt.refreshToken : nil
        let session = refusal.revokesSession && !attempt.isNewSession ? attempt.session?.id ?? attempt.refreshToken?.session_id : nil
        let transaction = attempt.transaction?.id
        try await storage.transaction { repositories in
            try await UserDirectory.write(update, in: repositories)
            let now = Timestamp.nowMillis()
            if let refreshToken { try await repositories.refreshTokens.revoke(id: refreshToken.id, at: now) }
            if let session { try await repositories.sessions.revoke(session, at: now) }
            if let transaction { try await repositories.loginTransactions.delete(transaction) }
        }
        if let refreshToken {
            await postLogin?.flows.recorder.record(logs: [
                LogRecord(
                    log_id: RandomIdentifier.hex(byteCount: 16), date: Timestamp.iso8601(Timestamp.nowMillis()), type: "srrt",
                    description: "Refresh token revoked by an action: \(refusal.error.description)", client_id: client.client_id,
                    client_name: client.name, ip: request.ip, user_agent: request.userAgent, user_id: user.user_id,
                    user_name: user.logName,
                    details: .object([
                        "refresh_token_id": .string(refreshToken.id),
                        "actions": .object(["executions": .array(refusal.error.executionIDs.map(JSONValue.string))]),
                    ]))
            ])
        }
    }

    /// A token-endpoint login's tokens; its refusal is thrown (HTTP 403 `access_denied`).
    func tokens(
        _ attempt: LoginAttempt, user: UserRecord, client: ClientRecord, request: ActionEventRequest, configurationVersion: Int64
    ) async throws -> TokenResponse {
        switch try await complete(attempt, user: user, client: client, request: request, configurationVersion: configurationVersion) {
        case .tokens(let response): return response
        case .refused(let error, _): throw error
        case .multifactor(let mfaToken):
            // Auth0's answer to a back-channel login that needs MFA; the MFA API and the
            // `mfa-otp` / `mfa-oob` / `mfa-recovery-code` grants continue it.
            var error = OAuthError(.mfaRequired, "Multifactor authentication required", status: 403)
            error.mfaToken = mfaToken
            throw error
        case .code, .redirect: throw OAuthError(.serverError, "A token-endpoint login ended as a browser login.")
        }
    }
}
