import GatehouseCore
import HTTPTypes
import Hummingbird

/// Finds the client's IP behind reverse proxies. `X-Forwarded-For` is read only when the TCP
/// peer is one of the configured trusted proxies (`GATEHOUSE_TRUSTED_PROXIES`); the client is
/// then the right-most address of the chain that is not itself a trusted proxy. Addresses to
/// its left were written by the client and are ignored, so a client cannot choose the IP that
/// brute-force protection and throttling count it under.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    let trustedProxies: [IPAddressRange]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trustedProxies.isEmpty, IPAddressRange.any(trustedProxies, contains: context.peerIP) else {
            return try await next(request, context)
        }
        var context = context
        context.remoteIP = Self.clientIP(
            peer: context.peerIP, forwardedFor: request.headers[values: Self.forwardedFor], trustedProxies: trustedProxies)
        return try await next(request, context)
    }

    /// Walks the chain from the peer leftwards while the current hop is trusted; stops at the
    /// first untrusted hop, or at an entry that is not an IP address (then the last trusted hop
    /// is the best that is known).
    static func clientIP(peer: String, forwardedFor: [String], trustedProxies: [IPAddressRange]) -> String {
        let chain = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for entry in chain.reversed() {
            guard IPAddressRange.any(trustedProxies, contains: client), let address = address(entry) else { break }
            client = address
        }
        return client
    }

    /// An address as proxies write it, without brackets or port (`[2001:db8::1]:443`, `10.0.0.1:80`).
    static func address(_ entry: String) -> String? {
        var text = entry
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<end])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = String(text[..<colon])
        }
        return IPAddressRange.parseAddress(text) == nil ? nil : text
    }
}
