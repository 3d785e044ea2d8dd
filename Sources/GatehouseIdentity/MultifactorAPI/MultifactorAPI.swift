import GatehouseCore
import GatehouseStorage

/// Auth0's MFA API for back-channel logins (Auth0 Authentication API, "Multi-factor
/// Authentication": `GET /mfa/authenticators`, `POST /mfa/associate`, `POST /mfa/challenge`, and
/// the `mfa-otp`, `mfa-oob` and `mfa-recovery-code` grants of `/oauth/token`; Auth0 docs
/// "Authenticate Using the Resource Owner Password Flow with MFA").
///
/// A password, password-realm or refresh-token grant whose post-login flow asks for MFA answers
/// `mfa_required` with an `mfa_token`: the `state` of a stored login suspension (10 minutes, no
/// browser binding; `LoginCompletion+Multifactor`). Everything here starts from that token: the
/// login it names, its requirement (challenge an authenticator the user has, or enrol a first
/// one), and its client. The `mfa_token` is a bearer secret: only its SHA-256 is stored, and
/// nothing here logs it. HTTP (`MultifactorAPIRoutes`) parses and renders; the grants
/// (`Grants/Multifactor*Grant`) prove a code and resume the login.
public struct MultifactorAPI: Sendable {
    public static let otpGrantType = "http://auth0.com/oauth/grant-type/mfa-otp"
    public static let oobGrantType = "http://auth0.com/oauth/grant-type/mfa-oob"
    public static let recoveryCodeGrantType = "http://auth0.com/oauth/grant-type/mfa-recovery-code"
    /// The client `grant_types` values that let an application use the MFA API (Auth0's "MFA"
    /// grant type in the dashboard enables all three).
    public static let grantTypes = [otpGrantType, oobGrantType, recoveryCodeGrantType]

    let completion: LoginCompletion
    let multifactor: MultifactorService

    init(completion: LoginCompletion, multifactor: MultifactorService) {
        self.completion = completion
        self.multifactor = multifactor
    }

    /// The login `mfaToken` names. With `client` (an authenticated client: `/mfa/challenge`, the
    /// grants), the token must have been issued to it. The token's client must allow at least one
    /// MFA grant type, as Auth0 requires before the MFA API can be used. Throws `OAuthError`.
    func pending(mfaToken: String, client: ClientRecord?) async throws -> PendingMultifactor {
        let pending: PendingMultifactor
        do {
            pending = try await completion.pendingMultifactor(mfaToken: mfaToken)
        } catch let failure as LoginCompletion.ResumeFailure {
            throw Self.oauthError(failure)
        }
        guard let owner = pending.client else { throw Self.oauthError(LoginCompletion.ResumeFailure.unknown) }
        // RFC 6749 §5.2 names this `invalid_grant` ("issued to another client"); the text is Auth0's.
        if let client, client.client_id != owner.client_id {
            throw OAuthError(.invalidGrant, "mfa_token not issued to this client", status: 403)
        }
        guard owner.grant_types.contains(where: Self.grantTypes.contains) else {
            throw OAuthError(
                .unauthorizedClient,
                "Grant type '\(Self.otpGrantType)' not allowed for the client: add the MFA grant types"
                    + " (\(Self.grantTypes.joined(separator: ", "))) to its grant_types to use the MFA API.", status: 403)
        }
        return pending
    }

    // MARK: GET /mfa/authenticators

    /// One authenticator as `GET /mfa/authenticators` lists it.
    public struct Authenticator: Codable, Sendable, Equatable {
        /// `totp|dev_…`, `sms|dev_…`, `recovery-code|dev_…`.
        public var id: String
        /// `otp`, `oob` or `recovery-code`.
        public var authenticator_type: String
        /// `false` while an enrolment waits for its first code.
        public var active: Bool
        /// `sms` for a phone.
        public var oob_channel: String?
        /// The masked phone number of an `oob` authenticator.
        public var name: String?
    }

    /// The user's authenticators, oldest first, pending ones included as `active: false` (so a
    /// client can see an association it started). Auth0 docs: "List authenticators".
    public func authenticators(mfaToken: String) async throws -> [Authenticator] {
        let pending = try await pending(mfaToken: mfaToken, client: nil)
        return pending.enrollments.map(Self.authenticator)
    }

    static func authenticator(_ enrollment: MultifactorEnrollmentRecord) -> Authenticator {
        let active = enrollment.status == .confirmed
        switch enrollment.kind {
        case .totp:
            return Authenticator(id: "totp|\(enrollment.id)", authenticator_type: "otp", active: active)
        case .recoveryCode:
            return Authenticator(id: "recovery-code|\(enrollment.id)", authenticator_type: "recovery-code", active: active)
        case .phone:
            return Authenticator(
                id: "sms|\(enrollment.id)", authenticator_type: "oob", active: active, oob_channel: "sms",
                name: masked(enrollment.phone_number))
        }
    }

    /// `+1XXXXXXX0100`: the country code and the last four digits, enough for the person to
    /// recognise their phone, not enough to call it.
    static func masked(_ number: String?) -> String? {
        guard let number else { return nil }
        guard number.count > 6 else { return String(repeating: "X", count: number.count) }
        return String(number.prefix(2)) + String(repeating: "X", count: number.count - 6) + String(number.suffix(4))
    }
}
