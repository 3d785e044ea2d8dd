import GatehouseCore
import GatehouseStorage

extension MultifactorAPI {
    /// What the MFA grants share: the `mfa_token`'s login (issued to this client), a proof of a
    /// factor, and the login going on — once. `proof` chooses the proof from the login's
    /// requirement (challenge or enrolment); `invalidCode` is the grant's text for a wrong code.
    ///
    /// Proving first and resuming second is safe against concurrent grants: a code is accepted
    /// once (TOTP steps, SMS codes and recovery codes are used in conditional updates), and the
    /// login is consumed by one conditional update, so of two grants with right codes only one
    /// gets tokens; the other gets "already used". A wrong code counts towards the user's
    /// brute-force bucket and leaves the `mfa_token` usable until it expires, as on Auth0.
    func exchange(
        _ request: TokenRequest, invalidCode: String, proof: (PendingMultifactor) throws -> MultifactorProof
    ) async throws -> TokenResponse {
        let mfaToken = try request.required("mfa_token")
        var pending = try await pending(mfaToken: mfaToken, client: request.client)
        let proof = try proof(pending)
        let proved = try await answering(invalidCode: invalidCode) { try await completion.prove(proof, for: &pending) }
        let outcome = try await answering(invalidCode: invalidCode) {
            try await completion.resumeMultifactor(
                pending, request: request.eventRequest, configurationVersion: request.configuration.version)
        }
        switch outcome {
        case .tokens(var response):
            // A recovery code made by this grant (the one replacing a used recovery code, or a
            // first one that `/mfa/associate` did not show) is shown here, once.
            response.recovery_code = proved.recoveryCode
            return response
        case .refused(let error, _):
            throw error
        case .multifactor(let next):
            // A later action asked for MFA again (`api.authentication.challengeWith…`).
            var error = OAuthError(.mfaRequired, "Multifactor authentication required", status: 403)
            error.mfaToken = next
            throw error
        case .code, .redirect:
            throw OAuthError(.serverError, "A token-endpoint login ended as a browser login.")
        }
    }

    /// The enrolment this login started (`/mfa/associate`), if it is of `kind`; the grant then
    /// confirms it with the code.
    static func startedEnrollment(_ pending: PendingMultifactor, kind: MultifactorEnrollmentKind) -> String? {
        guard pending.requirement.mode == .enroll, let id = pending.requirement.enrollmentID,
            pending.enrollments.contains(where: { $0.id == id && $0.kind == kind })
        else { return nil }
        return id
    }

    /// The refusal of a grant for a login that waits for an enrolment nobody started.
    static func associateFirst(_ what: String) -> OAuthError {
        OAuthError(
            .invalidGrant,
            "The user has no \(what) enrolled yet: start an enrolment with POST /mfa/associate, then send its first code.",
            status: 403)
    }
}
