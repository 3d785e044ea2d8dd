import Foundation
import GatehouseCore
import GatehouseSandbox

/// The server's own check of the commands a flow returned (the runner checks too, but the
/// server decides): custom claims that Auth0 forbids are dropped, and their total is bounded
/// (DOCS `create-custom-claims`).
public struct CommandPolicy: Sendable {
    /// OIDC and Auth0 claim names an action may not set.
    public let restrictedClaims: Set<String>
    /// Namespaces owned by Auth0 (`auth0.com`, `webtask.io`, `webtask.run`, `urn:auth0`).
    let forbiddenNamespaces: [String]
    /// Every forbidden namespace contains one of these; names without them skip the patterns.
    static let namespaceMarkers: [[UInt8]] = [Array("auth0".utf8), Array("webtask".utf8)]
    public static let maximumClaimBytes = 100 * 1024

    /// The rules of the catalog's `claim_name` definition (`dropped_if_in`, `dropped_if_matching`).
    public init(catalog: TriggerCatalog) {
        let definition = catalog.runnerJSON["definitions"]?["claim_name"]
        restrictedClaims = Set(definition?["dropped_if_in"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        forbiddenNamespaces = definition?["dropped_if_matching"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    func isRestricted(_ name: String) -> Bool {
        restrictedClaims.contains(name)
            || (Self.namespaceMarkers.contains { Self.mentions($0, in: name) }
                && forbiddenNamespaces.contains { name.range(of: $0, options: .regularExpression) != nil })
    }

    /// Whether `marker` occurs in `name`: a plain byte scan, as this runs for every claim.
    static func mentions(_ marker: [UInt8], in name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.count >= marker.count else { return false }
            candidates: for start in 0...(bytes.count - marker.count) {
                for offset in 0..<marker.count where bytes[start + offset] != marker[offset] { continue candidates }
                return true
            }
            return false
        }
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
            if isRestricted(name) || bytes + size > Self.maximumClaimBytes {
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
