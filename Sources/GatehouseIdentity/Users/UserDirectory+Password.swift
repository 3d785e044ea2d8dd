import GatehouseCore
import GatehouseStorage

extension UserDirectory {
    /// Why a password change was refused.
    public enum PasswordChangeError: Error, Sendable {
        case userNotFound
        /// Longer than bcrypt reads (72 UTF-8 bytes).
        case tooLong(String)
        /// The connection's policy refuses it (strength, dictionary, personal information,
        /// history), in Auth0's terms.
        case policy(PasswordPolicyError)
    }

    /// Checks `password` against the user's connection policy — strength, dictionary, personal
    /// information, and the last `password_history.size` passwords (the current one included) —
    /// without writing anything. Returns its hash, ready for `storeNewPassword`.
    public func hashForNewPassword(_ password: String, of user: UserRecord) async throws -> String {
        if let error = Self.passwordTooLong(password) { throw PasswordChangeError.tooLong(error.message) }
        let (connection, current, history) = try await storage.read { repositories in
            let connection = try await repositories.connections.get(name: user.connection)
            let size = connection.map { PasswordPolicy($0.options).historySize } ?? 0
            return (
                connection, size > 0 ? try await repositories.users.passwordHash(user.user_id) : nil,
                size > 1 ? try await repositories.users.passwordHistory(user.user_id, limit: size - 1) : []
            )
        }
        let policy = PasswordPolicy(connection?.options ?? ConnectionRecord.Options(), common: commonPasswords)
        do {
            try policy.check(password, personal: [user.email, user.username, user.name, user.nickname, user.given_name, user.family_name])
        } catch { throw PasswordChangeError.policy(error) }
        for earlier in [current].compactMap({ $0 }) + history where try await passwords.verify(password, hash: earlier) {
            throw PasswordChangeError.policy(
                PasswordPolicyError(kind: .history, message: "Password has previously been used", rules: [], policy: policy.description))
        }
        return try await passwords.hash(password)
    }

    /// Writes a new password hash within `repositories`' transaction: the old hash joins the
    /// history, brute-force blocks on the user are lifted (Auth0: a password change unblocks),
    /// and `last_password_reset` is set on `user` (the caller writes the user).
    public static func storeNewPassword(_ hash: String, for user: inout UserRecord, in repositories: Repositories) async throws {
        try await repositories.users.setPasswordHash(user.user_id, hash)
        try await AttackProtection.passwordWasReset(userID: user.user_id, in: repositories)
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        user.last_password_reset = now
        user.updated_at = now
    }
}
