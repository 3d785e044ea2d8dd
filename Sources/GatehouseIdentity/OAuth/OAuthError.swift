/// An error of the OAuth 2.0 wire protocol (RFC 6749 §5.2, §4.1.2.1; OIDC Core §3.1.2.6).
///
/// The code is a struct wrapping a fixed vocabulary so that call sites read like the RFC
/// (`.invalidGrant`) while the set stays open for extension codes (`access_denied` from Actions).
public struct OAuthError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public init(_ rawValue: String) { self.rawValue = rawValue }

        public static let invalidRequest = Code("invalid_request")
        public static let invalidClient = Code("invalid_client")
        public static let invalidGrant = Code("invalid_grant")
        public static let unauthorizedClient = Code("unauthorized_client")
        public static let unsupportedGrantType = Code("unsupported_grant_type")
        public static let invalidScope = Code("invalid_scope")
        public static let accessDenied = Code("access_denied")
        public static let unsupportedResponseType = Code("unsupported_response_type")
        public static let serverError = Code("server_error")
        public static let temporarilyUnavailable = Code("temporarily_unavailable")
        public static let loginRequired = Code("login_required")
        public static let interactionRequired = Code("interaction_required")
        public static let invalidToken = Code("invalid_token")
        public static let tooManyAttempts = Code("too_many_attempts")
        /// Auth0: a back-channel login needs a second factor (with `mfa_token`).
        public static let mfaRequired = Code("mfa_required")
        /// Auth0: the `mfa_token` is past its lifetime.
        public static let expiredToken = Code("expired_token")
        /// Auth0's `/mfa/challenge`: none of the requested challenge types can be used (also
        /// "User is not enrolled.", which Auth0's SDKs read as "associate an authenticator").
        public static let unsupportedChallengeType = Code("unsupported_challenge_type")
    }

    public var code: Code
    public var description: String
    /// HTTP status for token-endpoint responses: 401 for `invalid_client`, 400 otherwise
    /// (RFC 6749 §5.2), unless the error says differently (403 for a denied login, 429 when throttled).
    public var statusCode: Int
    /// Executions of Actions that ran before the error, for the tenant log (never sent to clients).
    public var executionIDs: [String] = []
    /// The tenant log type when it is not the endpoint's usual failure type (`limit_wc`,
    /// `limit_mu` for attack protection); never sent to clients.
    public var logType: String?
    /// `Retry-After` seconds, for errors the client may simply try again.
    public var retryAfterSeconds: Int?
    /// `mfa_required`: the token that continues the login through the MFA API (Auth0's field).
    public var mfaToken: String?

    /// 503 `temporarily_unavailable` with `Retry-After`: the platform failed (no Actions worker
    /// could run the flow, or one was killed from outside), not the request.
    public static func temporarilyUnavailable(_ description: String, executionID: String?) -> OAuthError {
        var error = OAuthError(.temporarilyUnavailable, description, status: 503)
        error.retryAfterSeconds = 5
        error.executionIDs = executionID.map { [$0] } ?? []
        return error
    }

    public init(_ code: Code, _ description: String, status: Int? = nil) {
        self.code = code
        self.description = description
        self.statusCode = status ?? (code == .invalidClient ? 401 : 400)
    }
}
