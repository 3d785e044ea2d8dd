import Foundation

/// An IPv4 or IPv6 address or CIDR block (`10.0.0.1`, `10.0.0.0/8`, `2001:db8::/32`): trusted
/// proxies (`GATEHOUSE_TRUSTED_PROXIES`) and the allowlists of attack protection.
public struct IPAddressRange: Sendable, Equatable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let network: [UInt8]
    public let prefixLength: Int

    /// Parses an address or a CIDR block; `nil` when `text` is neither. Host bits set in a block
    /// (`10.0.0.1/8`) are ignored, as most tools do.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let bytes = Self.parseAddress(String(parts[0])) else { return nil }
        let maximum = bytes.count * 8
        var prefix = maximum
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber), let value = Int(parts[1]),
                (0...maximum).contains(value)
            else { return nil }
            prefix = value
        }
        self.network = Self.masked(bytes, prefix: prefix)
        self.prefixLength = prefix
    }

    /// Whether `address` (in any textual form `parseAddress` reads) lies in this range. An IPv4
    /// address also matches when written IPv4-mapped (`::ffff:10.0.0.1`), and the reverse.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.parseAddress(address) else { return false }
        return contains(bytes: bytes)
    }

    public func contains(bytes: [UInt8]) -> Bool {
        var candidate = bytes
        if candidate.count != network.count {
            guard let converted = Self.convert(candidate, to: network.count) else { return false }
            candidate = converted
        }
        return Self.masked(candidate, prefix: prefixLength) == network
    }

    public var description: String {
        let address = Self.format(network)
        return prefixLength == network.count * 8 ? address : "\(address)/\(prefixLength)"
    }

    /// Parses a comma-separated list (`GATEHOUSE_TRUSTED_PROXIES`); throws naming the first bad entry.
    public static func parseList(_ text: String) throws -> [IPAddressRange] {
        try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { entry in
            guard let range = IPAddressRange(entry) else {
                throw ConfigurationError("not an IP address or CIDR block: \(entry)")
            }
            return range
        }
    }

    /// `true` when any range of `ranges` contains `address`.
    public static func any(_ ranges: [IPAddressRange], contains address: String) -> Bool {
        guard let bytes = parseAddress(address) else { return false }
        return ranges.contains { $0.contains(bytes: bytes) }
    }

    /// The bytes of an IPv4 (dotted quad) or IPv6 address (RFC 4291 §2.2 text forms, a zone
    /// index is dropped); `nil` for anything else.
    public static func parseAddress(_ raw: String) -> [UInt8]? {
        var text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        if text.contains(":") { return parseIPv6(text) }
        return parseIPv4(text)
    }

    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt8(part) else {
                return nil
            }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        var tail: [UInt8] = []
        // An embedded IPv4 address in the last 32 bits (`::ffff:10.0.0.1`).
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = parseIPv4(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = v4
            text = text[...lastColon]
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                bytes.append(UInt8(value >> 8))
                bytes.append(UInt8(value & 0xff))
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 {
            let bytes = head + tail
            return bytes.count == 16 ? bytes : nil
        }
        guard let rest = groups(halves[1]) else { return nil }
        let known = head.count + rest.count + tail.count
        guard known <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - known) + rest + tail
    }

    /// IPv4 ↔ IPv4-mapped IPv6 (`::ffff:a.b.c.d`); `nil` when the address has no form of that size.
    static func convert(_ bytes: [UInt8], to size: Int) -> [UInt8]? {
        let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
        if bytes.count == 4 && size == 16 { return mappedPrefix + bytes }
        if bytes.count == 16 && size == 4 && Array(bytes.prefix(12)) == mappedPrefix { return Array(bytes.suffix(4)) }
        return nil
    }

    static func masked(_ bytes: [UInt8], prefix: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = max(0, min(8, prefix - index * 8))
            return bits == 8 ? byte : byte & ~(UInt8(0xff) >> bits)
        }
    }

    static func format(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}
