import GatehouseCore
import Synchronization

/// Bounds on what an unauthenticated `/authorize` request may make the server store: every
/// request that needs a login stores a login transaction holding its parameters for an hour
/// (`docs/SECURITY.md`, "Unauthenticated writes").
public enum AuthorizationRequestLimits {
    public static let maximumParameters = 64
    public static let maximumNameBytes = 128
    /// Per value: `state`, `nonce`, `login_hint`, `redirect_uri`, … (Auth0 keeps `state` far shorter
    /// in practice; 2 KB leaves room for encoded application state).
    public static let maximumValueBytes = 2_048
    public static let maximumTotalBytes = 16_384

    /// Why `query` is refused, in words for the error page; `nil` when it is within bounds.
    public static func problem(with query: [String: String]) -> String? {
        guard query.count <= maximumParameters else {
            return "The request has \(query.count) parameters; at most \(maximumParameters) are accepted."
        }
        var total = 0
        for (name, value) in query {
            guard name.utf8.count <= maximumNameBytes else { return "A parameter name is longer than \(maximumNameBytes) bytes." }
            guard value.utf8.count <= maximumValueBytes else {
                return "The parameter \(name) is longer than \(maximumValueBytes) bytes."
            }
            total += name.utf8.count + value.utf8.count
        }
        guard total <= maximumTotalBytes else { return "The request's parameters are longer than \(maximumTotalBytes) bytes in all." }
        return nil
    }
}

/// Login transactions started per client IP, per instance: at most `limit` in any `window`
/// (sliding, counted in whole seconds). A browser needs one per sign-in; a flood from one address
/// is refused with 429 before anything is stored. IPv6 addresses count by their /64 (one
/// subscriber's network: an attacker holding one has 2⁶⁴ addresses to rotate through).
public final class TransactionThrottle: Sendable {
    public let limit: Int
    public let window: Int64
    private let starts = Mutex<[String: [Int64]]>([:])

    public init(limit: Int = 100, windowSeconds: Int64 = 60) {
        self.limit = limit
        self.window = windowSeconds
    }

    /// Counts one transaction for `ip`; `false` (and not counted) when `ip` is over its limit.
    public func admit(_ address: String, now: Int64 = Timestamp.nowSeconds()) -> Bool {
        let ip = Self.bucket(address)
        return starts.withLock { starts in
            if starts.count > 10_000 {
                starts = starts.filter { $0.value.last.map { now - $0 < window } ?? false }
            }
            var recent = (starts[ip] ?? []).filter { now - $0 < window }
            guard recent.count < limit else {
                starts[ip] = recent
                return false
            }
            recent.append(now)
            starts[ip] = recent
            return true
        }
    }

    /// The key `address` counts under: an IPv4 address itself, an IPv6 address's first 64 bits.
    static func bucket(_ address: String) -> String {
        guard address.contains(":"), let bytes = IPAddressRange.parseAddress(address), bytes.count == 16 else { return address }
        return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ".") + "/64"
    }
}
