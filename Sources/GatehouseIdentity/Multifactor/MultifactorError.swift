/// Why an MFA operation was refused, with a message fit for the person at the page or the API
/// caller (never a secret or a code). The login path and the HTTP layer switch on `code` to
/// choose their own wire error (Auth0's `invalid_grant`, `too_many_attempts`, a 400, …).
public struct MultifactorError: Error, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The code is wrong (or, for an SMS code, expired or already used).
        case invalidCode = "invalid_code"
        /// A TOTP code of a time step already used: wait for the next code.
        case codeReused = "code_reused"
        /// Too many wrong codes for this user; try again later.
        case tooManyAttempts = "too_many_attempts"
        /// Too many messages sent to this user's phone; try again later.
        case tooManyMessages = "too_many_messages"
        /// The user has no confirmed authenticator of this kind.
        case notEnrolled = "not_enrolled"
        /// The user already has a confirmed authenticator of this kind.
        case alreadyEnrolled = "already_enrolled"
        /// No pending enrolment with this id for this user.
        case enrollmentNotFound = "enrollment_not_found"
        /// The factor is not enabled on the tenant (`PUT /api/v2/guardian/factors/{name}`).
        case factorNotEnabled = "factor_not_enabled"
        /// A factor or provider Gatehouse does not offer (Duo, push, e-mail, WebAuthn, passkeys).
        case unsupported = "unsupported"
        case invalidPhoneNumber = "invalid_phone_number"
        /// The phone factor's selected provider cannot deliver on this server.
        case providerNotConfigured = "provider_not_configured"
        /// The send-phone-message flow failed (the action threw, timed out, or none is bound).
        case deliveryFailed = "delivery_failed"
        case userNotFound = "user_not_found"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static let invalidCode = MultifactorError(.invalidCode, "The code is not valid. Check it and try again.")
    static let tooManyAttempts = MultifactorError(
        .tooManyAttempts, "Too many wrong codes were entered for this account. Wait a few minutes and try again.")
    static let userNotFound = MultifactorError(.userNotFound, "The user does not exist.")

    static func notEnabled(_ factor: String) -> MultifactorError {
        MultifactorError(
            .factorNotEnabled,
            "The \(factor) factor is not enabled on this tenant (enable it with PUT /api/v2/guardian/factors/\(factor)).")
    }
}
