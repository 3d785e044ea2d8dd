import Crypto
import Foundation

public enum SecretComparison {
    /// Compares two secrets in time that depends only on their lengths' digests, not on where they
    /// differ: both sides are hashed first, then compared byte by byte without early exit.
    public static func equal(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(SHA256.hash(data: Data(lhs.utf8)))
        let right = Array(SHA256.hash(data: Data(rhs.utf8)))
        var difference: UInt8 = 0
        for index in 0..<left.count { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    /// SHA-256 hex digest: how refresh tokens, codes and client secrets are looked up and stored,
    /// so a copy of the database does not hand out working credentials.
    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
