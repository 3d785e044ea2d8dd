import GatehouseCore

/// An application (Auth0 "client"). Field names are Auth0's Management API names, verbatim, so the
/// record is also the wire shape.
public struct ClientRecord: Codable, Sendable, Equatable {
    public var client_id: String
    /// Plain text in memory; sealed with the master key at rest. `nil` for public clients.
    public var client_secret: String?
    public var name: String
    public var description: String?
    /// `native`, `spa`, `regular_web`, `non_interactive`.
    public var app_type: String?
    /// `none` (public client), `client_secret_post`, `client_secret_basic`.
    public var token_endpoint_auth_method: String
    public var is_first_party: Bool
    public var oidc_conformant: Bool
    public var callbacks: [String]
    public var allowed_logout_urls: [String]
    public var web_origins: [String]
    public var allowed_origins: [String]
    public var grant_types: [String]
    public var client_metadata: [String: String]
    public var jwt_configuration: JWTConfiguration
    public var refresh_token: RefreshTokenPolicy
    public var global: Bool
    public var created_at: String?
    public var updated_at: String?

    public struct JWTConfiguration: Codable, Sendable, Equatable {
        public var alg: String
        /// ID-token lifetime in seconds.
        public var lifetime_in_seconds: Int
        public var secret_encoded: Bool

        public init(alg: String = "RS256", lifetime_in_seconds: Int = 36_000, secret_encoded: Bool = false) {
            self.alg = alg
            self.lifetime_in_seconds = lifetime_in_seconds
            self.secret_encoded = secret_encoded
        }
    }

    /// Auth0's `refresh_token` client settings.
    public struct RefreshTokenPolicy: Codable, Sendable, Equatable {
        /// `rotating` or `non-rotating`.
        public var rotation_type: String
        /// `expiring` or `non-expiring`.
        public var expiration_type: String
        public var leeway: Int
        public var token_lifetime: Int
        public var infinite_token_lifetime: Bool
        public var idle_token_lifetime: Int
        public var infinite_idle_token_lifetime: Bool

        public init(
            rotation_type: String = "rotating", expiration_type: String = "expiring", leeway: Int = 0,
            token_lifetime: Int = 2_592_000, infinite_token_lifetime: Bool = false,
            idle_token_lifetime: Int = 1_296_000, infinite_idle_token_lifetime: Bool = false
        ) {
            self.rotation_type = rotation_type
            self.expiration_type = expiration_type
            self.leeway = leeway
            self.token_lifetime = token_lifetime
            self.infinite_token_lifetime = infinite_token_lifetime
            self.idle_token_lifetime = idle_token_lifetime
            self.infinite_idle_token_lifetime = infinite_idle_token_lifetime
        }
    }

    public init(
        client_id: String, client_secret: String?, name: String, description: String? = nil,
        app_type: String? = nil, token_endpoint_auth_method: String = "client_secret_post",
        is_first_party: Bool = true, oidc_conformant: Bool = true, callbacks: [String] = [],
        allowed_logout_urls: [String] = [], web_origins: [String] = [], allowed_origins: [String] = [],
        grant_types: [String] = [], client_metadata: [String: String] = [:],
        jwt_configuration: JWTConfiguration = .init(), refresh_token: RefreshTokenPolicy = .init(),
        global: Bool = false, created_at: String? = nil, updated_at: String? = nil
    ) {
        self.client_id = client_id
        self.client_secret = client_secret
        self.name = name
        self.description = description
        self.app_type = app_type
        self.token_endpoint_auth_method = token_endpoint_auth_method
        self.is_first_party = is_first_party
        self.oidc_conformant = oidc_conformant
        self.callbacks = callbacks
        self.allowed_logout_urls = allowed_logout_urls
        self.web_origins = web_origins
        self.allowed_origins = allowed_origins
        self.grant_types = grant_types
        self.client_metadata = client_metadata
        self.jwt_configuration = jwt_configuration
        self.refresh_token = refresh_token
        self.global = global
        self.created_at = created_at
        self.updated_at = updated_at
    }

    /// A public client cannot keep a secret (SPA, native): it must use PKCE (RFC 7636).
    public var isPublic: Bool { token_endpoint_auth_method == "none" }
}
