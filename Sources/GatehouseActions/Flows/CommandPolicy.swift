import GatehouseCore
import GatehouseSandbox

/// The server's own check of the commands a flow returned (the runner checks too, but the
/// server decides): custom claims that Auth0 forbids are dropped, and their total is bounded
/// (DOCS `create-custom-claims`).
public struct CommandPolicy: Sendable {
    public let restrictedClaims: Set<String>
    /// Namespaces owned by Auth0 that a claim name may not use.
    static let forbiddenNamespaces = ["auth0.com", "webtask.io", "webtask.run", "urn:auth0"]
    public static let maximumClaimBytes = 100 * 1024

    public init(catalog: TriggerCatalog) {
        let names = catalog.runnerJSON["definitions"]?["claim_name"]?["not_in"]?.arrayValue?.compactMap(\.stringValue) ?? []
        restrictedClaims = Set(names)
    }

    /// The claims set with `method` (`api.accessToken.setCustomClaim`, `api.idToken.setCustomClaim`),
    /// later calls winning, and the names that were dropped.
    public func claims(from commands: [Command], method: String) -> (claims: [String: JSONValue], dropped: [String]) {
        var claims: [String: JSONValue] = [:]
        var dropped: [String] = []
        var bytes = 0
        for command in commands where command.method == method {
            guard command.args.count >= 1, let name = command.args[0].stringValue else { continue }
            let value = command.args.count > 1 ? command.args[1] : .null
            let size = name.utf8.count + value.jsonText().utf8.count
            if restrictedClaims.contains(name) || Self.forbiddenNamespaces.contains(where: { name.contains($0) })
                || bytes + size > Self.maximumClaimBytes
            {
                dropped.append(name)
                continue
            }
            bytes += size
            claims[name] = value
        }
        return (claims, dropped)
    }

    /// The arguments of the first `api.access.deny` call, if any.
    public func denial(in commands: [Command]) -> [JSONValue]? {
        commands.first { $0.method == "api.access.deny" }?.args
    }
}
