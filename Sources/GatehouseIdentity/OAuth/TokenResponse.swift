import GatehouseStorage

/// The successful token-endpoint response (RFC 6749 §5.1; OIDC Core §3.1.3.3).
public struct TokenResponse: Codable, Sendable, Equatable {
    public var access_token: String
    public var id_token: String?
    public var refresh_token: String?
    public var scope: String?
    public var expires_in: Int
    public var token_type: String
    /// `mfa-recovery-code` grant: the user's new recovery code, replacing the one just used
    /// (Auth0's field; shown once).
    public var recovery_code: String?
    /// Executions of Actions that shaped this response, for the tenant log (not part of the body).
    public var executionIDs: [String] = []
    /// The user the tokens were issued to, for the tenant log (not part of the body).
    public var userID: String?
    /// That user's `user_name` in the tenant log (email, else username).
    public var userName: String?

    enum CodingKeys: String, CodingKey {
        case access_token, id_token, refresh_token, scope, expires_in, token_type, recovery_code
    }

    public init(
        access_token: String, id_token: String? = nil, refresh_token: String? = nil, scope: String?,
        expires_in: Int, token_type: String = "Bearer"
    ) {
        self.access_token = access_token
        self.id_token = id_token
        self.refresh_token = refresh_token
        self.scope = scope
        self.expires_in = expires_in
        self.token_type = token_type
    }
}

/// One `/oauth/token` request, after client authentication.
public struct TokenRequest: Sendable {
    /// The form parameters (`application/x-www-form-urlencoded` or JSON, as Auth0 accepts both).
    public var parameters: [String: String]
    public var client: ClientRecord
    /// The configuration snapshot the client was authenticated with.
    public var configuration: ConfigurationCache.Snapshot
    public var ip: String
    public var userAgent: String?
    /// The `Host` the request was sent to (`event.request.hostname`).
    public var hostname: String?
    /// The first language of `Accept-Language` (`event.request.language`).
    public var language: String?

    public init(
        parameters: [String: String], client: ClientRecord, configuration: ConfigurationCache.Snapshot, ip: String,
        userAgent: String?
    ) {
        self.parameters = parameters
        self.client = client
        self.configuration = configuration
        self.ip = ip
        self.userAgent = userAgent
    }

    public subscript(name: String) -> String? {
        parameters[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// This request as an action event's `request` (no query; the body without secrets).
    var eventRequest: ActionEventRequest {
        ActionEventRequest(ip: ip, method: "POST", hostname: hostname, userAgent: userAgent, language: language, body: parameters)
    }

    /// The value of a required parameter, or Auth0's `invalid_request` message for it.
    public func required(_ name: String) throws -> String {
        guard let value = self[name] else { throw OAuthError(.invalidRequest, "Missing required parameter: \(name)") }
        return value
    }
}
