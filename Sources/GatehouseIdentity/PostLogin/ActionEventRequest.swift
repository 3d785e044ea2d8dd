import GatehouseCore

/// The HTTP request an action's event describes (`event.request`, `auth0-actions.md` §2.1):
/// the same shape for `post-login` and `credentials-exchange`, which has no `query`.
public struct ActionEventRequest: Sendable {
    public var ip: String
    public var method: String
    public var hostname: String?
    public var userAgent: String?
    public var language: String?
    /// The `/authorize` query of browser logins; `nil` for the token endpoint (an empty
    /// `event.request.query` for post-login).
    public var query: [String: String]?
    /// The form or JSON body, without secrets (`client_secret`, `password`, …).
    public var body: [String: String]

    /// Parameters that never reach an action.
    static let secretParameters: Set<String> = [
        "client_secret", "client_assertion", "password", "refresh_token", "code", "code_verifier", "_csrf",
        // The MFA grants' bearer token and codes.
        "mfa_token", "otp", "oob_code", "binding_code", "recovery_code",
    ]

    public init(
        ip: String, method: String, hostname: String?, userAgent: String?, language: String?, query: [String: String]? = nil,
        body: [String: String] = [:]
    ) {
        self.ip = ip
        self.method = method
        self.hostname = hostname
        self.userAgent = userAgent
        self.language = language
        self.query = query
        self.body = body.filter { !Self.secretParameters.contains($0.key) }
    }

    /// `event.request`. `geoip` is always an object, as on Auth0: its fields are there when a
    /// GeoIP database is configured and knows the address, absent otherwise. `query` is always
    /// an object for `post-login` (`includeQuery`; empty on back-channel grants, which have no
    /// `/authorize` query) and absent for `credentials-exchange` (§2.3).
    func json(geoip database: MaxMindDatabase?, includeQuery: Bool = false) -> JSONValue {
        var request: [String: JSONValue] = [
            "ip": .string(ip), "method": .string(method), "body": .object(body.mapValues(JSONValue.string)),
            "geoip": database?.geoip(for: ip) ?? .object([:]),
        ]
        if includeQuery { request["query"] = .object((query ?? [:]).mapValues(JSONValue.string)) }
        if let hostname { request["hostname"] = .string(hostname) }
        if let userAgent { request["user_agent"] = .string(userAgent) }
        if let language { request["language"] = .string(language) }
        return .object(request)
    }
}
