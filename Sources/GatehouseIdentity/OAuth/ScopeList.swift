/// A space-separated scope string (RFC 6749 §3.3) as an ordered set.
public struct ScopeList: Sendable, Equatable {
    public private(set) var values: [String]

    public init(_ string: String?) {
        self.init(values: (string ?? "").split(separator: " ").map(String.init))
    }

    public init(values: [String]) {
        var seen = Set<String>()
        self.values = values.filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    public var string: String { values.joined(separator: " ") }
    public var isEmpty: Bool { values.isEmpty }
    public func contains(_ scope: String) -> Bool { values.contains(scope) }

    /// Keeps only the scopes `allowed` accepts, in this list's order.
    public func filter(_ allowed: (String) -> Bool) -> ScopeList {
        ScopeList(values: values.filter(allowed))
    }

    /// The OIDC scopes: they shape the ID token and `/userinfo`, not an API's access.
    public static let oidcScopes: Set<String> = ["openid", "profile", "email", "address", "phone", "offline_access"]
}
