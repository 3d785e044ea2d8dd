import GatehouseCore

/// Auth0's `http://auth0.com/oauth/grant-type/mfa-oob` (Auth0 docs: "Verify with out-of-band
/// (OOB)"): `mfa_token`, the `oob_code` of `/mfa/challenge` or `/mfa/associate`, and the
/// `binding_code` the SMS carried (the only binding method here is `prompt`, so it is
/// required). The `oob_code` must be the last one handed out for this login: it ties the SMS to
/// the `mfa_token` (256 random bits, only its digest kept). It answers a challenge with the
/// user's phone, or confirms the phone this login's association started.
struct MultifactorOOBGrant: GrantHandler {
    let grantType = MultifactorAPI.oobGrantType
    let api: MultifactorAPI

    func exchange(_ request: TokenRequest) async throws -> TokenResponse {
        _ = try request.required("mfa_token")
        let oobCode = try request.required("oob_code")
        let bindingCode = try request.required("binding_code")
        return try await api.exchange(request, invalidCode: "Invalid binding_code.") { pending in
            guard let expected = pending.requirement.oobCodeHash,
                SecretComparison.equal(SecretComparison.digest(oobCode), expected)
            else {
                // Auth0's text; 256 random bits cannot be guessed, so this does not count as a wrong code.
                throw OAuthError(
                    .invalidGrant,
                    "The oob_code doesn't match the mfa_token: send the oob_code of the last /mfa/challenge or /mfa/associate"
                        + " of this login.", status: 403)
            }
            switch pending.requirement.mode {
            case .challenge: return .code(.phone, bindingCode)
            case .enroll:
                guard let id = MultifactorAPI.startedEnrollment(pending, kind: .phone) else {
                    throw MultifactorAPI.associateFirst("phone")
                }
                return .enrollment(id: id, code: bindingCode)
            }
        }
    }
}
