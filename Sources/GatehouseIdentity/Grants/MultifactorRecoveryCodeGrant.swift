/// Auth0's `http://auth0.com/oauth/grant-type/mfa-recovery-code` (Auth0 docs: "Challenge with
/// recovery codes"): `mfa_token` and `recovery_code`. The code works once; the response carries
/// the user's new one as `recovery_code`, as Auth0's does, to show the person once. Only a login
/// that challenges (the user has enrolled, the recovery-code factor is on) accepts it.
struct MultifactorRecoveryCodeGrant: GrantHandler {
    let grantType = MultifactorAPI.recoveryCodeGrantType
    let api: MultifactorAPI

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        _ = try request.required("mfa_token")
        let code = try request.required("recovery_code")
        return try await api.exchange(request, invalidCode: "Invalid recovery_code.") { pending in
            guard pending.requirement.mode == .challenge else { throw MultifactorAPI.associateFirst("authenticator") }
            return .code(.recoveryCode, code)
        }
    }
}
