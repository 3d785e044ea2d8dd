import GatehouseCore
import HummingbirdBcrypt
import NIOConcurrencyHelpers
import NIOPosix

/// bcrypt password hashing (hummingbird-auth's `Bcrypt`), run off the event loops: one hash
/// costs tens of milliseconds by design.
public struct PasswordHasher: Sendable {
    /// bcrypt reads only the first 72 bytes of a password: a longer one would let anything
    /// that shares those bytes log in, so longer passwords are refused when set.
    public static let maximumPasswordBytes = 72

    public let cost: UInt8
    /// A hash of a random password at `cost`, checked when a login names nobody (or a user without
    /// a password), so that an unknown user costs the same time as a wrong password.
    let dummyHash: String
    /// How many checks ran, for tests and diagnostics.
    public let statistics = Statistics()

    public final class Statistics: Sendable {
        private let counts = NIOLockedValueBox((real: 0, dummy: 0))

        /// Checks against a stored hash.
        public var verified: Int { counts.withLockedValue { $0.real } }
        /// Checks against the dummy hash (unknown user).
        public var dummyVerified: Int { counts.withLockedValue { $0.dummy } }

        func count(dummy: Bool) {
            counts.withLockedValue { if dummy { $0.dummy += 1 } else { $0.real += 1 } }
        }
    }

    public init(cost: Int) {
        self.cost = UInt8(clamping: min(max(cost, 4), 31))
        self.dummyHash = Bcrypt.hash(RandomIdentifier.token(byteCount: 24), cost: self.cost)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        statistics.count(dummy: false)
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Spends the time of one `verify` against the dummy hash; always `false`.
    public func verifyDummy(_ password: String) async throws -> Bool {
        statistics.count(dummy: true)
        let hash = dummyHash
        _ = try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
        return false
    }

    /// Whether bcrypt would read all of `password` (at most 72 UTF-8 bytes).
    public static func fitsBcrypt(_ password: String) -> Bool {
        password.utf8.count <= maximumPasswordBytes
    }
}
