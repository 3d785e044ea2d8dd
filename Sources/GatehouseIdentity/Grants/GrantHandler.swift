/// One OAuth grant type (RFC 6749 §4): `/oauth/token` looks the handler up by `grant_type` and
/// hands it the request once the client is authenticated.
public protocol GrantHandler: Sendable {
    /// The `grant_type` value this handler answers.
    var grantType: String { get }
    func exchange(_ request: TokenRequest) async throws -> TokenResponse
}

/// The table of grant handlers, keyed by `grant_type`.
public struct GrantRegistry: Sendable {
    private let handlers: [String: any GrantHandler]

    public init(handlers: [any GrantHandler]) {
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.grantType, $0) })
    }

    public func handler(for grantType: String) -> (any GrantHandler)? {
        handlers[grantType]
    }

    public var grantTypes: [String] { handlers.keys.sorted() }
}
