import GatehouseCore

/// The HTTP request an action's event describes (`event.request`, `auth0-actions.md` §2.1):
/// the same shape for `post-login` and `credentials-exchange`, which has no `query`.
public struct ActionEventRequest: Sendable {
    public var ip: String
    public var method: String
    public var hostname: String?
    public var userAgent: String?
    public var language: String?
    /// The `/authorize` query of browser logins; `nil` for the token endpoint.
    public var query: [String: String]?
    /// The form or JSON body, without secrets (`client_secret`, `password`, …).
    public var body: [String: String]

    /// Parameters that never reach an action.
    static let secretParameters: Set<String> = [
        "client_secret", "client_assertion", "password", "refresh_token", "code", "code_verifier", "_csrf",
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

    /// `event.request`, with `geoip` when a GeoIP database is configured and knows the address.
    func json(geoip database: MaxMindDatabase?) -> JSONValue {
        var request: [String: JSONValue] = [
            "ip": .string(ip), "method": .string(method), "body": .object(body.mapValues(JSONValue.string)),
        ]
        if let query { request["query"] = .object(query.mapValues(JSONValue.string)) }
        if let hostname { request["hostname"] = .string(hostname) }
        if let userAgent { request["user_agent"] = .string(userAgent) }
        if let language { request["language"] = .string(language) }
        if let geoip = database?.geoip(for: ip) { request["geoip"] = geoip }
        return .object(request)
    }
}
