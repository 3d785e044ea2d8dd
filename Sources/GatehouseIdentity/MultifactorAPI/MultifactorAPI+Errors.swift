/// The MFA API's refusals in the RFC 6749 §5.2 shape, with Auth0's codes and, where Auth0's SDKs
/// compare them (`isMultifactorTokenInvalid`, `isMultifactorCodeInvalid` in Auth0.swift,
/// Auth0.Android, auth0-java), Auth0's exact texts: `invalid_grant` "Malformed mfa_token",
/// `expired_token` "mfa_token is expired", `invalid_grant` "Invalid otp_code." /
/// "Invalid binding_code.". Everything else says what went wrong and what to do.
extension MultifactorAPI {
    /// Why the `mfa_token` does not name a login waiting on MFA.
    static func oauthError(_ failure: LoginCompletion.ResumeFailure) -> OAuthError {
        switch failure {
        case .expired: OAuthError(.expiredToken, "mfa_token is expired", status: 403)
        // Auth0's tokens are JWTs that stay valid until they expire; ours work once. A demanding
        // client should restart the login either way, so the text says so.
        case .used: OAuthError(.invalidGrant, "mfa_token was already used; log in again to get a new one.", status: 403)
        case .unknown, .otherBrowser: OAuthError(.invalidGrant, "Malformed mfa_token", status: 403)
        }
    }

    /// A refused MFA operation. `invalidCode` is the text for a wrong code of this operation
    /// (Auth0's "Invalid otp_code." for the `mfa-otp` grant, and so on).
    func oauthError(_ error: MultifactorError, invalidCode: String = "Invalid otp_code.") -> OAuthError {
        switch error.code {
        case .invalidCode, .codeReused:
            // Auth0 does not tell a replayed TOTP code from a wrong one; neither do we on the wire
            // (SDKs match this text), the tenant's log line does.
            return OAuthError(.invalidGrant, invalidCode, status: 403)
        case .tooManyAttempts, .tooManyMessages:
            var refusal = OAuthError(.tooManyAttempts, error.message, status: 429)
            refusal.retryAfterSeconds = Int(
                (error.code == .tooManyAttempts ? multifactor.attemptRefillMillis : MultifactorService.messageRefillMillis) / 1000)
            return refusal
        case .alreadyEnrolled:
            return OAuthError(.accessDenied, "User is already enrolled.", status: 403)
        case .deliveryFailed:
            var refusal = OAuthError(.temporarilyUnavailable, error.message, status: 503)
            refusal.retryAfterSeconds = 5
            return refusal
        case .invalidPhoneNumber, .unsupported, .providerNotConfigured:
            return OAuthError(.invalidRequest, error.message)
        case .notEnrolled, .factorNotEnabled, .enrollmentNotFound, .userNotFound:
            return OAuthError(.invalidGrant, error.message, status: 403)
        }
    }

    /// Runs `body`, turning the login's and the factors' refusals into the wire errors above.
    func answering<R>(invalidCode: String = "Invalid otp_code.", _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let failure as LoginCompletion.ResumeFailure {
            throw Self.oauthError(failure)
        } catch let error as MultifactorError {
            throw oauthError(error, invalidCode: invalidCode)
        }
    }
}
