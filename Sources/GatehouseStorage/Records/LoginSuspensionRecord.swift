import GatehouseCore

/// A login whose post-login flow suspended: the browser was sent to an action's redirect target,
/// or must pass an MFA challenge. Stored under the SHA-256 of the `state` that resumes it; what
/// the login needs to go on is `login` (the identity layer's `SuspendedLogin`, as JSON), which
/// storage keeps opaque.
public struct LoginSuspensionRecord: Codable, Sendable, Equatable {
    public var user_id: String
    public var client_id: String
    /// SHA-256 of the browser cookie the suspension is bound to (`nil` for back-channel logins,
    /// which an `mfa_token` resumes).
    public var browser_hash: String?
    /// Why the login waits: `redirect` or `mfa`.
    public var reason: String
    public var created_at: EpochMillis
    public var expires_at: EpochMillis
    public var login: JSONValue

    public init(
        user_id: String, client_id: String, browser_hash: String?, reason: String, created_at: EpochMillis, expires_at: EpochMillis,
        login: JSONValue
    ) {
        self.user_id = user_id
        self.client_id = client_id
        self.browser_hash = browser_hash
        self.reason = reason
        self.created_at = created_at
        self.expires_at = expires_at
        self.login = login
    }
}

/// What a lookup by `state` found.
public enum LoginSuspensionLookup: Sendable, Equatable {
    case live(LoginSuspensionRecord)
    case expired
    case consumed
    case unknown
}
