import Crypto
import Foundation

/// The key that encrypts secrets at rest (signing keys, action secrets) with AES-256-GCM.
///
/// Sealed values are stored as `v1:` followed by base64 of nonce ‖ ciphertext ‖ tag.
public struct MasterKey: Sendable {
    private let key: SymmetricKey

    public enum Failure: Error, CustomStringConvertible {
        case malformedKey
        case malformedCiphertext
        case wrongKey

        public var description: String {
            switch self {
            case .malformedKey:
                "GATEHOUSE_MASTER_KEY must be base64 of exactly 32 bytes (generate one with `openssl rand -base64 32`)"
            case .malformedCiphertext: "a stored secret is not in the sealed format this server writes"
            case .wrongKey:
                "a stored secret cannot be decrypted: GATEHOUSE_MASTER_KEY is not the key this database was created with"
            }
        }
    }

    public init(base64: String) throws {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)),
            data.count == 32
        else { throw Failure.malformedKey }
        self.key = SymmetricKey(data: data)
    }

    /// A new random key, returned as its base64 text.
    public static func generateBase64() -> String {
        Data(RandomIdentifier.bytes(32)).base64EncodedString()
    }

    public func seal(_ plaintext: String) throws -> String {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw Failure.malformedCiphertext }
        return "v1:" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw Failure.malformedCiphertext
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key), as: UTF8.self)
        } catch {
            throw Failure.wrongKey
        }
    }
}
