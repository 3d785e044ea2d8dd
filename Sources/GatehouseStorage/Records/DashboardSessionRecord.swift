import GatehouseCore

/// An operator signed in to the dashboard. The browser holds only the cookie's secret (stored as
/// its SHA-256); the Management API access token stays here, sealed with the master key at rest.
public struct DashboardSessionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var user_id: String
    /// What the dashboard shows as "signed in as".
    public var user_name: String
    /// The SSO session the sign-in created or reused (the ID token's `sid`), ended on sign-out.
    public var sso_session_id: String?
    /// Sent back by the page's scripts on every state-changing call (`X-CSRF-Token`).
    public var csrf_token: String
    /// The Management API scopes the token carries.
    public var scope: String
    public var created_at: EpochMillis
    /// The earlier of the access token's expiry and the dashboard session's lifetime.
    public var expires_at: EpochMillis
    /// Not part of the document: kept in its own sealed column.
    public var access_token: String = ""

    enum CodingKeys: String, CodingKey {
        case id, user_id, user_name, sso_session_id, csrf_token, scope, created_at, expires_at
    }

    public init(
        id: String, user_id: String, user_name: String, sso_session_id: String?, csrf_token: String, scope: String,
        created_at: EpochMillis, expires_at: EpochMillis, access_token: String
    ) {
        self.id = id
        self.user_id = user_id
        self.user_name = user_name
        self.sso_session_id = sso_session_id
        self.csrf_token = csrf_token
        self.scope = scope
        self.created_at = created_at
        self.expires_at = expires_at
        self.access_token = access_token
    }
}
