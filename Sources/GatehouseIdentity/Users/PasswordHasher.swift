import HummingbirdBcrypt
import NIOPosix

/// bcrypt password hashing (hummingbird-auth's `Bcrypt`), run off the event loops: one hash
/// costs tens of milliseconds by design.
public struct PasswordHasher: Sendable {
    public let cost: UInt8

    public init(cost: Int) {
        self.cost = UInt8(clamping: min(max(cost, 4), 31))
    }

    public func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
