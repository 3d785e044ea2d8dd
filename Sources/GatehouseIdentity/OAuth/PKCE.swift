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
}
