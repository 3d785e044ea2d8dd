/// Auth0's `http://auth0.com/oauth/grant-type/mfa-otp` (Auth0 docs: "Verify with one-time
/// password (OTP)"): `mfa_token` and `otp`, the 6-digit code of the user's authenticator app.
/// It answers a challenge (the user has an app), or confirms the app this login's
/// `/mfa/associate` started; either way the login then goes on and the tokens carry `amr: ["mfa"]`.
/// A wrong code is `invalid_grant` "Invalid otp_code." (403) and counts towards the user's bucket.
struct MultifactorOTPGrant: GrantHandler {
    let grantType = MultifactorAPI.otpGrantType
    let api: MultifactorAPI

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        _ = try request.required("mfa_token")
        let otp = try request.required("otp")
        return try await api.exchange(request, invalidCode: "Invalid otp_code.") { pending in
            switch pending.requirement.mode {
            case .challenge: return .code(.otp, otp)
            case .enroll:
                guard let id = MultifactorAPI.startedEnrollment(pending, kind: .totp) else {
                    throw MultifactorAPI.associateFirst("authenticator app")
                }
                return .enrollment(id: id, code: otp)
            }
        }
    }
}
