import Foundation

/// What a branding value may be. A colour or a URL ends up inside the hosted pages' `<style>`
/// and in `src`/`href` attributes, where HTML escaping does not protect CSS; so only values
/// that cannot leave their place are accepted: `#rgb` / `#rrggbb` colours, and absolute
/// `https` URLs of a plain host name made of characters that need no escaping in CSS or HTML.
public enum BrandingValidation {
    /// The longest URL accepted (Auth0's own limit for `logo_url`).
    public static let maximumURLLength = 2048

    /// `#rgb` or `#rrggbb`.
    public static func isColor(_ value: String) -> Bool {
        guard value.utf8.first == UInt8(ascii: "#"), value.utf8.count == 4 || value.utf8.count == 7 else { return false }
        return value.utf8.dropFirst().allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }
    }

    /// Characters a branding URL may hold: RFC 3986's unreserved, sub-delims without `'`, `(`,
    /// `)` and `*`, plus `:/?#[]@%`. No quote, backslash, angle bracket, parenthesis or space, so
    /// the URL cannot end a CSS `url("…")` or an HTML attribute early.
    static let urlCharacters = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&+,;=:/?#@%".utf8)

    /// The origin (`https://host[:port]`) of a URL that may brand a page, or `nil` when the URL
    /// is not an absolute `https` URL of a plain host name (no user name or password) or holds
    /// a character outside `urlCharacters`.
    public static func httpsOrigin(_ value: String) -> String? {
        guard value.utf8.count <= maximumURLLength, value.utf8.allSatisfy(urlCharacters.contains),
            let components = URLComponents(string: value), components.scheme?.lowercased() == "https",
            components.user == nil, components.password == nil,
            let host = components.host?.lowercased(), !host.isEmpty, host.first != ".", host.last != ".",
            host.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            })
        else { return nil }
        if let port = components.port {
            guard (1...65535).contains(port) else { return nil }
            return "https://\(host):\(port)"
        }
        return "https://\(host)"
    }

    public static func isURL(_ value: String) -> Bool { httpsOrigin(value) != nil }
}
