import GatehouseCore

/// An SSO session. `id` is public (`sid` in ID tokens, `event.session.id`); the browser's cookie
/// holds a different, secret value, stored only as its digest (see `SessionRepository`).
public struct SessionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var user_id: String
    public var connection: String
    public var authenticated_at: EpochMillis
    public var created_at: EpochMillis
    public var expires_at: EpochMillis
    public var clients: [String]
    /// Set by `api.session.setIdleExpiresAt` (`auth0-actions.md` §3.1); `nil` when no action
    /// asked. The `expires_at` column holds the earlier of the two (`endsAt`).
    public var idle_expires_at: EpochMillis?
    /// `api.session.setMetadata` (Auth0's `session_metadata`); `nil` when never set.
    public var session_metadata: [String: String]?
    /// How the user authenticated in this session (Auth0's `authentication.methods`): `pwd`,
    /// then `mfa` once a second factor was proved, and URLs an action recorded with
    /// `api.authentication.recordMethod`. `nil` for sessions older than this field: `pwd` at
    /// `authenticated_at`.
    public var authentication_methods: [AuthenticationMethodRecord]?

    public init(
        id: String, user_id: String, connection: String, authenticated_at: EpochMillis, created_at: EpochMillis,
        expires_at: EpochMillis, clients: [String], idle_expires_at: EpochMillis? = nil, session_metadata: [String: String]? = nil,
        authentication_methods: [AuthenticationMethodRecord]? = nil
    ) {
        self.authentication_methods = authentication_methods
        self.id = id
        self.user_id = user_id
        self.connection = connection
        self.authenticated_at = authenticated_at
        self.created_at = created_at
        self.expires_at = expires_at
        self.clients = clients
        self.idle_expires_at = idle_expires_at
        self.session_metadata = session_metadata
    }

    /// When the session stops being usable: the earlier of its absolute and idle expiry.
    public var endsAt: EpochMillis { min(expires_at, idle_expires_at ?? expires_at) }
}

/// One way the user proved who they are in a login (`event.authentication.methods[]`,
/// `auth0-actions.md` §2.2): `pwd`, `mfa`, or an action's `recordMethod` URL.
public struct AuthenticationMethodRecord: Codable, Sendable, Equatable {
    public var name: String
    public var timestamp: EpochMillis

    public init(name: String, timestamp: EpochMillis) {
        self.name = name
        self.timestamp = timestamp
    }
}

/// A validated `/authorize` request waiting for the user to log in (the `state` of `/u/login`).
public struct LoginTransactionRecord: Codable, Sendable, Equatable {
    public var id: String
    /// Must come back in the login form (CSRF protection, bound to this transaction).
    public var csrf_token: String
    public var client_id: String
    public var redirect_uri: String
    public var response_type: String
    public var response_mode: String
    public var scope: String
    public var audience: String?
    public var state: String?
    public var nonce: String?
    public var code_challenge: String?
    public var code_challenge_method: String?
    public var prompt: String?
    public var connection: String?
    public var login_hint: String?
    public var ui_locales: String?
    public var query: [String: String]
    public var expires_at: EpochMillis

    public init(
        id: String, csrf_token: String, client_id: String, redirect_uri: String, response_type: String,
        response_mode: String, scope: String, audience: String?, state: String?, nonce: String?,
        code_challenge: String?, code_challenge_method: String?, prompt: String?, connection: String?,
        login_hint: String?, ui_locales: String?, query: [String: String], expires_at: EpochMillis
    ) {
        self.id = id
        self.csrf_token = csrf_token
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.response_type = response_type
        self.response_mode = response_mode
        self.scope = scope
        self.audience = audience
        self.state = state
        self.nonce = nonce
        self.code_challenge = code_challenge
        self.code_challenge_method = code_challenge_method
        self.prompt = prompt
        self.connection = connection
        self.login_hint = login_hint
        self.ui_locales = ui_locales
        self.query = query
        self.expires_at = expires_at
    }
}

/// What an authorization code stands for (RFC 6749 §4.1). Stored by the SHA-256 of the code.
public struct AuthorizationCodeRecord: Codable, Sendable, Equatable {
    public var client_id: String
    public var user_id: String
    public var redirect_uri: String
    public var scope: String
    public var audience: String?
    public var nonce: String?
    public var code_challenge: String?
    public var code_challenge_method: String?
    public var session_id: String
    public var auth_time: Int64
    public var expires_at: EpochMillis
    /// What the post-login flow decided for this login's tokens, applied at the code exchange.
    public var customization: TokenCustomization?
    /// Whether `/authorize` was sent `redirect_uri` (rather than using the client's only
    /// callback): the token request must then repeat it (RFC 6749 §4.1.3). `nil` in codes
    /// stored before this was recorded.
    public var redirect_uri_sent: Bool?

    public init(
        client_id: String, user_id: String, redirect_uri: String, scope: String, audience: String?,
        nonce: String?, code_challenge: String?, code_challenge_method: String?, session_id: String,
        auth_time: Int64, expires_at: EpochMillis, customization: TokenCustomization? = nil, redirect_uri_sent: Bool? = nil
    ) {
        self.customization = customization
        self.redirect_uri_sent = redirect_uri_sent
        self.client_id = client_id
        self.user_id = user_id
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.audience = audience
        self.nonce = nonce
        self.code_challenge = code_challenge
        self.code_challenge_method = code_challenge_method
        self.session_id = session_id
        self.auth_time = auth_time
        self.expires_at = expires_at
    }
}

/// What post-login actions asked for the tokens of one login (`auth0-actions.md` §3.1):
/// custom claims, already checked against the restricted names, and access-token scope changes.
public struct TokenCustomization: Codable, Sendable, Equatable {
    public var id_token_claims: [String: JSONValue]
    public var access_token_claims: [String: JSONValue]
    public var added_scopes: [String]
    public var removed_scopes: [String]
    /// The ID token's `amr` (RFC 8176): `["mfa"]` when a second factor was proved in the login.
    public var amr: [String]?

    public init(
        id_token_claims: [String: JSONValue] = [:], access_token_claims: [String: JSONValue] = [:], added_scopes: [String] = [],
        removed_scopes: [String] = []
    ) {
        self.id_token_claims = id_token_claims
        self.access_token_claims = access_token_claims
        self.added_scopes = added_scopes
        self.removed_scopes = removed_scopes
    }
}

/// A refresh token. Rotation keeps every token of one login in a `family`; presenting a rotated
/// token again revokes the whole family (OAuth 2.0 Security BCP §4.14.2).
public struct RefreshTokenRecord: Codable, Sendable, Equatable {
    public var id: String
    public var family_id: String
    public var client_id: String
    public var user_id: String
    public var scope: String
    public var audience: String?
    public var session_id: String?
    public var auth_time: Int64
    public var created_at: EpochMillis
    public var expires_at: EpochMillis?
    public var rotated_at: EpochMillis?
    public var revoked_at: EpochMillis?
    /// Set by `api.refreshToken.setIdleExpiresAt` (`auth0-actions.md` §3.1); `nil` when no
    /// action asked. The `expires_at` column holds the earlier of the two (`endsAt`).
    public var idle_expires_at: EpochMillis?
    /// `api.refreshToken.setMetadata` (Auth0's `refresh_token_metadata`); `nil` when never set.
    public var refresh_token_metadata: [String: String]?

    public init(
        id: String, family_id: String, client_id: String, user_id: String, scope: String, audience: String?,
        session_id: String?, auth_time: Int64, created_at: EpochMillis, expires_at: EpochMillis?,
        rotated_at: EpochMillis? = nil, revoked_at: EpochMillis? = nil, idle_expires_at: EpochMillis? = nil,
        refresh_token_metadata: [String: String]? = nil
    ) {
        self.idle_expires_at = idle_expires_at
        self.refresh_token_metadata = refresh_token_metadata
        self.id = id
        self.family_id = family_id
        self.client_id = client_id
        self.user_id = user_id
        self.scope = scope
        self.audience = audience
        self.session_id = session_id
        self.auth_time = auth_time
        self.created_at = created_at
        self.expires_at = expires_at
        self.rotated_at = rotated_at
        self.revoked_at = revoked_at
    }

    /// When the token stops being exchangeable: the earlier of its absolute and idle expiry,
    /// `nil` for a token that never expires.
    public var endsAt: EpochMillis? {
        switch (expires_at, idle_expires_at) {
        case (let absolute?, let idle?): min(absolute, idle)
        case (let absolute, let idle): absolute ?? idle
        }
    }
}

/// A signing key: the private half sealed with the master key at rest.
public struct SigningKeyRecord: Sendable, Equatable {
    public var kid: String
    public var private_key_pem: String
    public var created_at: EpochMillis
    public var retired_at: EpochMillis?

    public init(kid: String, private_key_pem: String, created_at: EpochMillis, retired_at: EpochMillis? = nil) {
        self.kid = kid
        self.private_key_pem = private_key_pem
        self.created_at = created_at
        self.retired_at = retired_at
    }
}
