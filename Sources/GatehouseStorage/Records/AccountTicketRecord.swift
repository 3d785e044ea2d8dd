import GatehouseCore

/// A single-use link that lets a person act on their account without logging in: set a new
/// password (Auth0's password-change ticket) or prove their e-mail address (email-verification
/// ticket). Stored under the SHA-256 of the token in the link.
public struct AccountTicketRecord: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case passwordChange = "password_change"
        case emailVerification = "email_verification"
    }

    public var kind: Kind
    public var user_id: String
    /// The application the person came from (the reset page's name, `event.client`).
    public var client_id: String?
    /// Where the browser goes afterwards (Auth0's `result_url`).
    public var result_url: String?
    /// Password change: also mark the e-mail verified (Auth0's `mark_email_as_verified`).
    public var mark_email_as_verified: Bool
    /// Add `email` to the `result_url` redirect (Auth0's `includeEmailInRedirect`).
    public var include_email_in_redirect: Bool
    public var created_at: EpochMillis
    public var expires_at: EpochMillis
    /// Password change: where the `password-reset-post-challenge` flow stands (the identity
    /// layer's `ResetChallenge`, as JSON); `nil` until the link is first opened.
    public var challenge: JSONValue?

    public init(
        kind: Kind, user_id: String, client_id: String? = nil, result_url: String? = nil, mark_email_as_verified: Bool = false,
        include_email_in_redirect: Bool = false, created_at: EpochMillis, expires_at: EpochMillis
    ) {
        self.kind = kind
        self.user_id = user_id
        self.client_id = client_id
        self.result_url = result_url
        self.mark_email_as_verified = mark_email_as_verified
        self.include_email_in_redirect = include_email_in_redirect
        self.created_at = created_at
        self.expires_at = expires_at
    }
}

/// What a lookup of a ticket found.
public enum AccountTicketLookup: Sendable, Equatable {
    case live(AccountTicketRecord)
    case expired
    case used
    case unknown
}
