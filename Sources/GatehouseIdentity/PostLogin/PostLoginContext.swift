import GatehouseCore
import GatehouseStorage

/// Everything a `post-login` flow is told about one login (`auth0-actions.md` §2.2), gathered by
/// the place the login happens: the hosted login page, SSO at `/authorize`, or the token endpoint.
public struct PostLoginContext: Sendable {
    /// `event.transaction.protocol` values Gatehouse produces.
    public enum LoginProtocol: String, Sendable {
        /// The authorization-code flow through `/authorize`, including SSO.
        case browser = "oidc-basic-profile"
        /// The `password` and `password-realm` grants of `/oauth/token`.
        case password = "oauth2-password"
        case refreshToken = "oauth2-refresh-token"

        /// Whether a refusal goes back through the browser (a redirect) or as an HTTP error.
        public var isBrowser: Bool { self == .browser }
    }

    public var loginProtocol: LoginProtocol
    /// The user as the login leaves it (a fresh login already counted in `logins_count`).
    public var user: UserRecord
    public var client: ClientRecord
    /// The HTTP request that started this part of the login (`event.request`).
    public var request: ActionEventRequest
    /// The `/authorize` transaction of browser flows.
    public var transaction: LoginTransactionRecord?
    public var requestedScopes: ScopeList
    public var audience: String?
    /// When the user authenticated (`event.authentication.methods[].timestamp`).
    public var authenticatedAt: EpochMillis
    public var sessionID: String?
    /// The session itself, when the login has it (new or re-used): `event.session` then carries
    /// its metadata and expiry (`auth0-actions.md` §2.2); otherwise only `sessionID` is shown.
    public var session: SessionRecord?
    /// The refresh token being exchanged, for `oauth2-refresh-token`.
    public var refreshToken: RefreshTokenRecord?
    /// The configuration version the request was served with (selects the bindings).
    public var configurationVersion: Int64
    /// `event.authentication.methods`; `pwd` at `authenticatedAt` when empty.
    public var authenticationMethods: [AuthenticationMethodRecord] = []

    public init(
        loginProtocol: LoginProtocol, user: UserRecord, client: ClientRecord, request: ActionEventRequest,
        transaction: LoginTransactionRecord? = nil, requestedScopes: ScopeList, audience: String?, authenticatedAt: EpochMillis,
        sessionID: String?, refreshToken: RefreshTokenRecord? = nil, configurationVersion: Int64, session: SessionRecord? = nil
    ) {
        self.session = session
        self.loginProtocol = loginProtocol
        self.user = user
        self.client = client
        self.request = request
        self.transaction = transaction
        self.requestedScopes = requestedScopes
        self.audience = audience
        self.authenticatedAt = authenticatedAt
        self.sessionID = sessionID
        self.refreshToken = refreshToken
        self.configurationVersion = configurationVersion
    }
}
