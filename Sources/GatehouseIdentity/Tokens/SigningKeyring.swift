import CryptoExtras
import Foundation
import GatehouseCore
import GatehouseStorage
import JWTKit
import Logging

/// The tenant's RS256 signing keys: the newest signs, all stay published in the JWKS so tokens
/// signed before a rotation still verify.
public actor SigningKeyring {
    private let storage: Storage
    private var keys = JWTKeyCollection()
    private var loadedAt = ContinuousClock.now
    public private(set) var currentKID: String?
    /// The JWKS document (RFC 7517 §5) served at `/.well-known/jwks.json`, pre-encoded.
    public private(set) var jwksJSON: String = #"{"keys":[]}"#
    private var loadedKIDs: [String] = []

    public init(storage: Storage) {
        self.storage = storage
    }

    /// Re-reads the keys when the last read is older than `maxAge`, so a rotation done by another
    /// instance or by `gatehouse keys rotate` is picked up without a restart.
    public func refresh(ifOlderThan maxAge: Duration = .seconds(60)) async throws {
        guard ContinuousClock.now - loadedAt > maxAge else { return }
        try await load()
    }

    /// Loads every stored key; the newest becomes the signer.
    public func load() async throws {
        loadedAt = ContinuousClock.now
        let records = try await storage.read { try await $0.signingKeys.all() }
        guard records.map(\.kid) != loadedKIDs else { return }
        let collection = JWTKeyCollection()
        var jwks: [JSONValue] = []
        for record in records {
            let key = try Insecure.RSA.PrivateKey(pem: record.private_key_pem)
            await collection.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: record.kid))
            let (modulus, exponent) = try key.publicKey.getKeyPrimitives()
            jwks.append(
                .object([
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": .string(record.kid),
                    "n": .string(modulus.base64URLEncodedString()), "e": .string(exponent.base64URLEncodedString()),
                ]))
        }
        keys = collection
        currentKID = records.first?.kid
        loadedKIDs = records.map(\.kid)
        jwksJSON = JSONValue.object(["keys": .array(jwks)]).jsonText()
    }

    /// Creates a new RSA-2048 key and stores it (sealed); callers then `load` to start using it.
    public static func generateKey(into storage: Storage) async throws -> String {
        let privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let kid = RandomIdentifier.token(byteCount: 16)
        let record = SigningKeyRecord(
            kid: kid, private_key_pem: privateKey.pemRepresentation, created_at: Timestamp.nowMillis())
        try await storage.read { try await $0.signingKeys.insert(record) }
        return kid
    }

    /// Signs `claims` with the current key (header `alg: RS256`, `typ: JWT`, `kid`).
    public func sign(_ claims: ClaimSet) async throws -> String {
        guard let currentKID else { throw JWTError.generic(identifier: "keys", reason: "no signing key loaded") }
        var header = JWTHeader()
        header.typ = "JWT"
        return try await keys.sign(claims, kid: JWKIdentifier(string: currentKID), header: header)
    }

    /// Checks the signature of `token` against any published key and returns its claims.
    public func verifySignature(_ token: String) async throws -> ClaimSet {
        try await keys.verify(token, as: ClaimSet.self)
    }
}
