import Crypto
import Foundation

/// Unguessable identifiers and secrets, from the system's secure random source.
public enum RandomIdentifier {
    private static let alphanumerics = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `count` random bytes, drawn eight at a time (each draw is a `getrandom` call).
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count + 7)
        while bytes.count < count {
            withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
        }
        bytes.removeLast(bytes.count - count)
        return bytes
    }

    /// base64url without padding of `byteCount` random bytes: tokens, codes, secrets.
    public static func token(byteCount: Int = 32) -> String {
        Data(bytes(byteCount)).base64URLEncodedString()
    }

    /// Lowercase hex of `byteCount` random bytes.
    public static func hex(byteCount: Int) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(byteCount * 2)
        for byte in bytes(byteCount) {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Letters and digits, as Auth0 client ids are (32 characters).
    public static func alphanumeric(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphanumerics.randomElement(using: &generator)! })
    }

    /// Auth0-style prefixed ids: `con_…`, `cgr_…`, `rol_…` (16 alphanumerics after the prefix).
    public static func prefixed(_ prefix: String) -> String {
        "\(prefix)_\(alphanumeric(length: 16))"
    }
}

extension Data {
    /// RFC 4648 §5 base64url without padding.
    public func base64URLEncodedString() -> String {
        base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes base64url with or without padding.
    public init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        self.init(base64Encoded: base64)
    }
}
