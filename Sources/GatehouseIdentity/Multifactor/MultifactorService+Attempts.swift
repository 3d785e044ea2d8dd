import GatehouseCore
import GatehouseStorage

extension MultifactorService {
    /// Brute-force protection for codes, as for passwords (`docs/SECURITY.md`): before a code is
    /// checked, one attempt is taken from the user's bucket (`attemptLimit` attempts, one back
    /// every `attemptRefillMillis`), in one atomic upsert, so concurrent guesses cannot exceed it.
    /// A right code gives its attempt back: only wrong codes count. Per user, not per IP: whoever
    /// reaches this step already has the password, and spreading guesses over addresses must not
    /// help. The bucket pauses verification for this user only, and refills by itself.
    func checkingCode<R: Sendable>(
        userID: String, now: EpochMillis, _ check: @Sendable () async throws -> R
    ) async throws -> R {
        let key = "user:" + userID
        let limit = attemptLimit
        let refill = attemptRefillMillis
        let granted = try await storage.transaction {
            try await $0.ipThrottle.take(stage: Self.verifyStage, ip: key, maxAttempts: limit, rateMillis: refill, at: now)
        }
        guard granted else {
            logger.notice("mfa: verification paused after too many wrong codes", metadata: ["user_id": "\(userID)"])
            throw MultifactorError.tooManyAttempts
        }
        @Sendable func giveBack() async throws {
            try await storage.transaction { try await $0.ipThrottle.giveBack(stage: Self.verifyStage, ip: key, rateMillis: refill) }
        }
        let result: R
        do {
            result = try await check()
        } catch let error as MultifactorError where error.code == .invalidCode || error.code == .codeReused {
            logger.info("mfa: wrong code", metadata: ["user_id": "\(userID)", "reason": "\(error.code.rawValue)"])
            throw error
        } catch {
            try await giveBack()  // not a guess (no such authenticator, a storage failure): it does not count
            throw error
        }
        try await giveBack()
        return result
    }

    /// Bounds the messages sent to one user's phone (each may cost the tenant money).
    func reserveMessage(userID: String, now: EpochMillis) async throws {
        let granted = try await storage.transaction {
            try await $0.ipThrottle.take(
                stage: Self.sendStage, ip: "user:" + userID, maxAttempts: Self.messageLimit, rateMillis: Self.messageRefillMillis, at: now)
        }
        guard granted else {
            throw MultifactorError(.tooManyMessages, "Too many codes were sent to this phone. Wait a few minutes and try again.")
        }
    }

    /// A confirmed authenticator of `kind` of the user, if the factor is enabled.
    func confirmed(_ kind: MultifactorEnrollmentKind, of userID: String, factor: MultifactorFactor) async throws
        -> MultifactorEnrollmentRecord
    {
        let (settings, enrollments) = try await storage.read { repositories in
            (
                GuardianFactorSettings(stored: try await repositories.guardianSettings.all()),
                try await repositories.multifactor.enrollments(userID: userID)
            )
        }
        guard settings.isEnabled(factor) else { throw MultifactorError.notEnabled(factor.guardianName) }
        guard let enrollment = enrollments.first(where: { $0.kind == kind && $0.status == .confirmed }) else {
            throw MultifactorError(.notEnrolled, "The user has no confirmed \(kind.rawValue) authenticator.")
        }
        return enrollment
    }

    /// A pending authenticator of the user, by id.
    func pending(_ enrollmentID: String, kind: MultifactorEnrollmentKind, of userID: String) async throws
        -> MultifactorEnrollmentRecord
    {
        guard let enrollment = try await storage.read({ try await $0.multifactor.get(enrollmentID) }),
            enrollment.user_id == userID, enrollment.kind == kind, enrollment.status == .pending
        else {
            throw MultifactorError(
                .enrollmentNotFound, "This enrolment does not exist or is already confirmed; start the enrolment again.")
        }
        return enrollment
    }

    /// Confirms a pending authenticator and, when the recovery-code factor is enabled and the
    /// user has none yet, issues their recovery code (returned once, as Auth0 does at the first
    /// enrolment). With `recoveryCodeHash` (the digest of a code already shown, by `/mfa/associate`)
    /// that code becomes the user's and none is returned.
    func confirm(_ enrollment: MultifactorEnrollmentRecord, recoveryCodeHash: String? = nil, now: EpochMillis) async throws
        -> MultifactorConfirmation
    {
        let recoveryCode = Self.newRecoveryCode()
        let digest = recoveryCodeHash ?? Self.digest(recoveryCode: recoveryCode)
        let issued = try await storage.transaction { repositories -> Bool in
            guard try await repositories.multifactor.confirm(enrollment.id, at: now) else {
                throw MultifactorError(.enrollmentNotFound, "This enrolment is already confirmed.")
            }
            let settings = GuardianFactorSettings(stored: try await repositories.guardianSettings.all())
            let existing = try await repositories.multifactor.enrollments(userID: enrollment.user_id)
            guard settings.isEnabled(.recoveryCode), !existing.contains(where: { $0.kind == .recoveryCode }) else { return false }
            try await repositories.multifactor.insert(
                MultifactorEnrollmentRecord(
                    id: MultifactorEnrollmentRecord.newID(), user_id: enrollment.user_id, kind: .recoveryCode, status: .confirmed,
                    created_at: now),
                totpSecret: nil, secretHash: digest)
            return true
        }
        var confirmed = enrollment
        confirmed.status = .confirmed
        confirmed.last_auth_at = now
        return MultifactorConfirmation(enrollment: confirmed, recoveryCode: issued && recoveryCodeHash == nil ? recoveryCode : nil)
    }
}

/// A confirmed enrolment, with the recovery code issued with it (shown once, never again).
public struct MultifactorConfirmation: Sendable, Equatable {
    public let enrollment: MultifactorEnrollmentRecord
    public let recoveryCode: String?
}
