import GatehouseCore
import GatehouseStorage

/// One login on its way to its tokens: the login-transaction context every door hands to
/// `LoginCompletion` (DESIGN.md, "The middle floor"). A suspended login keeps it in the
/// database, so it holds records and ids, never live connections; the user and the client are
/// read again when the login goes on.
public struct LoginAttempt: Sendable, Codable, Equatable {
    public var loginProtocol: PostLoginContext.LoginProtocol
    public var userID: String
    public var clientID: String
    /// Browser logins: the `/authorize` transaction.
    public var transaction: LoginTransactionRecord?
    /// Browser logins: the SSO session, new (stored when the login completes) or re-used.
    public var session: SessionRecord?
    public var isNewSession: Bool
    /// The scopes the client asked for (`event.transaction.requested_scopes`, and the tokens').
    public var requestedScope: String
    public var audience: String?
    public var authenticatedAt: EpochMillis
    /// The refresh token being exchanged (`oauth2-refresh-token`).
    public var refreshToken: RefreshTokenRecord?
    /// The user typed a password in this login (a new session; tenant log `s`/`f`).
    public var freshAuthentication: Bool
    /// The login still has to be counted (`logins_count`, `last_login`); counted once, by the
    /// first write of the login (its completion, its refusal or its first suspension).
    public var countsAsLogin: Bool
    /// SHA-256 of the browser cookie a suspension of this login is bound to (browser logins).
    public var browserHash: String?
    /// SHA-256 of the browser's "remember this browser" cookie, when it sent one: MFA that an
    /// action allowed to be remembered is skipped for a browser the user asked to remember.
    public var rememberedBrowserHash: String?
    /// How the user authenticated so far (`event.authentication.methods`); `pwd` at
    /// `authenticatedAt` until something else is known. `mfa` joins it once a factor is proved.
    public var authenticationMethods: [AuthenticationMethodRecord]
    /// The factors proved in this login transaction (`otp`, `phone`, `recovery-code`): a later
    /// challenge they satisfy is not shown again. A re-used session's earlier MFA does not count:
    /// as on Auth0, every login an action asks MFA for is challenged, unless the browser is
    /// remembered (actions that want less read `event.authentication.methods`).
    public var provedFactors: [String] = []

    public init(
        loginProtocol: PostLoginContext.LoginProtocol, userID: String, clientID: String, transaction: LoginTransactionRecord? = nil,
        session: SessionRecord? = nil, isNewSession: Bool = false, requestedScope: String, audience: String?,
        authenticatedAt: EpochMillis, refreshToken: RefreshTokenRecord? = nil, freshAuthentication: Bool, countsAsLogin: Bool,
        browserHash: String? = nil, rememberedBrowserHash: String? = nil, authenticationMethods: [AuthenticationMethodRecord]? = nil
    ) {
        self.rememberedBrowserHash = rememberedBrowserHash
        self.authenticationMethods =
            authenticationMethods ?? session?.authentication_methods ?? [
                AuthenticationMethodRecord(name: "pwd", timestamp: authenticatedAt)
            ]
        self.loginProtocol = loginProtocol
        self.userID = userID
        self.clientID = clientID
        self.transaction = transaction
        self.session = session
        self.isNewSession = isNewSession
        self.requestedScope = requestedScope
        self.audience = audience
        self.authenticatedAt = authenticatedAt
        self.refreshToken = refreshToken
        self.freshAuthentication = freshAuthentication
        self.countsAsLogin = countsAsLogin
        self.browserHash = browserHash
    }

    /// Whether the browser can be sent elsewhere and come back (`api.redirect.canRedirect()`,
    /// `auth0-actions.md` §7): not on the token endpoint, not with `prompt=none`.
    var canRedirect: Bool {
        guard loginProtocol.isBrowser, let transaction else { return false }
        return !(transaction.prompt ?? "").split(separator: " ").contains("none")
    }

    /// Whether the request asked for no interaction (`prompt=none`).
    var isSilent: Bool {
        (transaction?.prompt ?? "").split(separator: " ").contains("none")
    }
}

extension PostLoginContext.LoginProtocol: Codable {}
