/// An API (Auth0 "resource server"): the `audience` of access tokens.
public struct ResourceServerRecord: Codable, Sendable, Equatable {
    public var id: String
    public var identifier: String
    public var name: String
    public var scopes: [Scope]
    public var signing_alg: String
    /// Access-token lifetime in seconds.
    public var token_lifetime: Int
    public var token_lifetime_for_web: Int
    /// RBAC: when true, a user's permissions limit the scopes granted.
    public var enforce_policies: Bool
    /// `access_token` or `access_token_authz` (adds the `permissions` claim).
    public var token_dialect: String
    public var allow_offline_access: Bool
    public var skip_consent_for_verifiable_first_party_clients: Bool
    public var is_system: Bool

    public struct Scope: Codable, Sendable, Equatable {
        public var value: String
        public var description: String?

        public init(value: String, description: String? = nil) {
            self.value = value
            self.description = description
        }
    }

    public init(
        id: String, identifier: String, name: String, scopes: [Scope] = [], signing_alg: String = "RS256",
        token_lifetime: Int = 86_400, token_lifetime_for_web: Int = 7_200, enforce_policies: Bool = false,
        token_dialect: String = "access_token", allow_offline_access: Bool = false,
        skip_consent_for_verifiable_first_party_clients: Bool = true, is_system: Bool = false
    ) {
        self.id = id
        self.identifier = identifier
        self.name = name
        self.scopes = scopes
        self.signing_alg = signing_alg
        self.token_lifetime = token_lifetime
        self.token_lifetime_for_web = token_lifetime_for_web
        self.enforce_policies = enforce_policies
        self.token_dialect = token_dialect
        self.allow_offline_access = allow_offline_access
        self.skip_consent_for_verifiable_first_party_clients = skip_consent_for_verifiable_first_party_clients
        self.is_system = is_system
    }

    /// RBAC with the `permissions` claim in access tokens.
    public var addsPermissionsClaim: Bool { enforce_policies && token_dialect == "access_token_authz" }
}

/// Permission for a client to get tokens for an API with the client-credentials grant.
public struct ClientGrantRecord: Codable, Sendable, Equatable {
    public var id: String
    public var client_id: String
    public var audience: String
    public var scope: [String]

    public init(id: String, client_id: String, audience: String, scope: [String]) {
        self.id = id
        self.client_id = client_id
        self.audience = audience
        self.scope = scope
    }
}
