import Foundation
import GatehouseCore
import GatehouseStorage
import HummingbirdOTP

/// A TOTP enrolment waiting for its first code: what the enrolment page shows.
public struct TOTPEnrollmentStart: Sendable, Equatable {
    /// The pending authenticator's device id (`dev_…`), to send back with the first code.
    public let enrollmentID: String
    /// The key in base32, for typing into an app by hand.
    public let secret: String
    /// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…`, for the QR code (Auth0's `barcode_uri`).
    public let uri: String
}

extension MultifactorService {
    /// RFC 6238 with the parameters every authenticator app uses: SHA-1, 6 digits, 30 s.
    static let timeStep: Int64 = 30
    /// Accepted clock drift, in time steps either side (RFC 6238 §5.2 recommends one).
    static let allowedDrift: Int64 = 1

    /// Starts a TOTP enrolment (Auth0 Guardian factor `otp`): a new random key, sealed at rest,
    /// and its `otpauth://` URI. An earlier pending TOTP enrolment of the user is replaced; a
    /// confirmed one must be deleted first (`alreadyEnrolled`).
    public func startTOTPEnrollment(userID: String, accountName: String, now: EpochMillis = Timestamp.nowMillis()) async throws
        -> TOTPEnrollmentStart
    {
        let settings = try await settings()
        guard settings.isEnabled(.otp) else { throw MultifactorError.notEnabled("otp") }
        // 32 letters and digits (≈190 bits): the key's bytes are these characters, which
        // HummingbirdOTP base32-encodes for the URI.
        let key = RandomIdentifier.alphanumeric(length: 32)
        let enrollment = MultifactorEnrollmentRecord(
            id: MultifactorEnrollmentRecord.newID(), user_id: userID, kind: .totp, status: .pending, created_at: now)
        try await storage.transaction { repositories in
            guard try await repositories.users.get(userID) != nil else { throw MultifactorError.userNotFound }
            let existing = try await repositories.multifactor.enrollments(userID: userID).filter { $0.kind == .totp }
            if existing.contains(where: { $0.status == .confirmed }) {
                throw MultifactorError(.alreadyEnrolled, "The user already has an authenticator app enrolled.")
            }
            for pending in existing { _ = try await repositories.multifactor.delete(pending.id) }
            try await repositories.multifactor.insert(enrollment, totpSecret: key, secretHash: nil)
        }
        return start(enrollmentID: enrollment.id, key: key, accountName: accountName)
    }

    /// A TOTP enrolment of the user still waiting for its first code, shown again (after a
    /// wrong first code); `nil` when there is no such pending enrolment.
    public func pendingTOTP(enrollmentID: String, userID: String, accountName: String) async throws -> TOTPEnrollmentStart? {
        let key = try await storage.read { repositories -> String? in
            guard let enrollment = try await repositories.multifactor.get(enrollmentID), enrollment.user_id == userID,
                enrollment.kind == .totp, enrollment.status == .pending
            else { return nil }
            return try await repositories.multifactor.totpSecret(enrollmentID)
        }
        return key.map { start(enrollmentID: enrollmentID, key: $0, accountName: accountName) }
    }

    private func start(enrollmentID: String, key: String, accountName: String) -> TOTPEnrollmentStart {
        let uri = TOTP(secret: key).createAuthenticatorURL(label: "\(issuerName):\(accountName)", issuer: issuerName)
        let secret = URLComponents(string: uri)?.queryItems?.first { $0.name == "secret" }?.value ?? ""
        return TOTPEnrollmentStart(enrollmentID: enrollmentID, secret: secret, uri: uri)
    }

    /// Confirms a TOTP enrolment with the first code from the app; the authenticator becomes
    /// confirmed and the user's recovery code is issued with it (see `confirm`). A wrong code
    /// counts towards brute-force protection. `recoveryCodeHash`: see `confirm`.
    public func confirmTOTPEnrollment(
        userID: String, enrollmentID: String, code: String, recoveryCodeHash: String? = nil, now: EpochMillis = Timestamp.nowMillis()
    ) async throws -> MultifactorConfirmation {
        let enrollment = try await pending(enrollmentID, kind: .totp, of: userID)
        return try await checkingCode(userID: userID, now: now) {
            try await self.checkTOTP(code, enrollmentID: enrollment.id, now: now)
            return try await self.confirm(enrollment, recoveryCodeHash: recoveryCodeHash, now: now)
        }
    }

    /// Checks a code from the user's confirmed authenticator app: right within ±1 time step, and
    /// not a code of a step already used (a replayed code is refused even if still current).
    /// Returns the authenticator. A wrong code counts towards brute-force protection.
    @discardableResult
    public func verifyTOTP(userID: String, code: String, now: EpochMillis = Timestamp.nowMillis()) async throws
        -> MultifactorEnrollmentRecord
    {
        let enrollment = try await confirmed(.totp, of: userID, factor: .otp)
        return try await checkingCode(userID: userID, now: now) {
            try await self.checkTOTP(code, enrollmentID: enrollment.id, now: now)
            var used = enrollment
            used.last_auth_at = now
            return used
        }
    }

    /// Finds the time step `code` belongs to and records it as used, atomically.
    func checkTOTP(_ code: String, enrollmentID: String, now: EpochMillis) async throws {
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 6, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
            let key = try await storage.read({ try await $0.multifactor.totpSecret(enrollmentID) })
        else { throw MultifactorError.invalidCode }
        let totp = TOTP(secret: key)
        let current = now / 1000 / Self.timeStep
        var matched: Int64?
        for step in (current - Self.allowedDrift)...(current + Self.allowedDrift)
        where totp.compute(date: Date(timeIntervalSince1970: TimeInterval(step * Self.timeStep))) == value {
            matched = step
        }
        guard let matched else { throw MultifactorError.invalidCode }
        guard try await storage.transaction({ try await $0.multifactor.useTOTPStep(enrollmentID, step: matched, at: now) }) else {
            throw MultifactorError(.codeReused, "This code was already used. Wait for the next code and enter it.")
        }
    }
}
