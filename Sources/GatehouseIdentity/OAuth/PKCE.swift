import Crypto
import Foundation
import GatehouseCore

/// Proof Key for Code Exchange (RFC 7636).
public enum PKCE {
    /// Whether `verifier` matches the `challenge` stored with the code (§4.6). Only `S256` is
    /// accepted: `plain` gives no protection against an intercepted code.
    public static func verify(verifier: String, challenge: String, method: String) -> Bool {
        guard method == "S256", (43...128).contains(verifier.count) else { return false }
        let digest = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
        return SecretComparison.equal(digest, challenge)
    }

    /// The S256 challenge of `verifier` (RFC 7636 §4.2), for a client of our own (the dashboard).
    public static func challenge(for verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
    }

    /// RFC 7636 §4.1–4.2: a verifier, and so an S256 challenge, is 43–128 characters of the
    /// unreserved set `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
    public static func isWellFormed(_ value: String) -> Bool {
        (43...128).contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                    true
                default: false
                }
            }
    }
}
