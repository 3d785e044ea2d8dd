import GatehouseCore
import GatehouseStorage

/// A recovery code that was used, and the one that replaces it.
public struct RecoveryCodeUse: Sendable, Equatable {
    public let enrollment: MultifactorEnrollmentRecord
    /// The user's new recovery code, to show once (Auth0 returns it as `recovery_code`).
    public let newRecoveryCode: String
}

extension MultifactorService {
    /// Letters and digits without the ones people confuse (0/O, 1/I): 24 of them ≈ 120 bits.
    static let recoveryAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    /// A new recovery code, 24 characters like Auth0's.
    static func newRecoveryCode() -> String {
        String(RandomIdentifier.bytes(24).map { recoveryAlphabet[Int($0) % recoveryAlphabet.count] })
    }

    /// The stored form of a recovery code: its SHA-256, after dropping spaces and dashes and
    /// upper-casing, so a code copied with formatting still works.
    static func digest(recoveryCode: String) -> String {
        SecretComparison.digest(String(recoveryCode.uppercased().filter { $0.isLetter || $0.isNumber }))
    }

    /// Uses the user's recovery code: it works once, and a new one replaces it in the same
    /// statement (Auth0 "Configure Recovery Codes for MFA": the user gets a new code after using
    /// one). A wrong code counts towards brute-force protection.
    public func verifyRecoveryCode(userID: String, code: String, now: EpochMillis = Timestamp.nowMillis()) async throws
        -> RecoveryCodeUse
    {
        _ = try await confirmed(.recoveryCode, of: userID, factor: .recoveryCode)
        return try await checkingCode(userID: userID, now: now) {
            let next = Self.newRecoveryCode()
            guard code.utf8.count <= 64,
                let used = try await self.storage.transaction({
                    try await $0.multifactor.replaceRecoveryCode(
                        userID: userID, oldHash: Self.digest(recoveryCode: code), newHash: Self.digest(recoveryCode: next), at: now)
                })
            else { throw MultifactorError.invalidCode }
            return RecoveryCodeUse(enrollment: used, newRecoveryCode: next)
        }
    }

    /// A recovery code to show when an enrolment starts (`/mfa/associate`, as Auth0 does), with
    /// its digest to keep until the enrolment is confirmed (`confirm(_:recoveryCodeHash:now:)`):
    /// `nil` when the recovery-code factor is disabled or the user already has one. Nothing is
    /// stored here, so an enrolment never confirmed leaves no working recovery code behind.
    public func recoveryCodeForNewEnrollment(userID: String) async throws -> (code: String, digest: String)? {
        let (settings, enrollments) = try await storage.read { repositories in
            (
                GuardianFactorSettings(stored: try await repositories.guardianSettings.all()),
                try await repositories.multifactor.enrollments(userID: userID)
            )
        }
        guard settings.isEnabled(.recoveryCode), !enrollments.contains(where: { $0.kind == .recoveryCode }) else { return nil }
        let code = Self.newRecoveryCode()
        return (code, Self.digest(recoveryCode: code))
    }

    /// Replaces the user's recovery code with a new one, returned once (`POST /api/v2/users/{id}/
    /// recovery-code-regeneration`); `nil` when the user does not exist.
    public func regenerateRecoveryCode(userID: String, now: EpochMillis = Timestamp.nowMillis()) async throws -> String? {
        let code = Self.newRecoveryCode()
        let done = try await storage.transaction { repositories -> Bool in
            guard try await repositories.users.get(userID) != nil else { return false }
            _ = try await repositories.multifactor.deleteAll(userID: userID, kinds: [.recoveryCode])
            try await repositories.multifactor.insert(
                MultifactorEnrollmentRecord(
                    id: MultifactorEnrollmentRecord.newID(), user_id: userID, kind: .recoveryCode, status: .confirmed, created_at: now),
                totpSecret: nil, secretHash: Self.digest(recoveryCode: code))
            return true
        }
        return done ? code : nil
    }
}
