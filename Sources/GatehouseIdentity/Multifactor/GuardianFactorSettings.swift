import GatehouseStorage

/// The kind of authenticator that proves a factor.
public typealias MultifactorEnrollmentKind = MultifactorEnrollmentRecord.Kind

/// A second factor Gatehouse can challenge with.
public enum MultifactorFactor: String, Sendable, CaseIterable {
    /// TOTP from an authenticator app (Guardian factor `otp`, authentication method `totp`).
    case otp
    /// A one-time code sent by SMS (Guardian factor `sms`, authentication method `phone`).
    case phone
    /// The user's recovery code (Guardian factor `recovery-code`).
    case recoveryCode = "recovery-code"

    /// The Guardian factor name that enables it (`GET /api/v2/guardian/factors`).
    public var guardianName: String {
        switch self {
        case .otp: "otp"
        case .phone: "sms"
        case .recoveryCode: "recovery-code"
        }
    }

    /// The authenticator kind that proves it.
    public var enrollmentKind: MultifactorEnrollmentKind {
        switch self {
        case .otp: .totp
        case .phone: .phone
        case .recoveryCode: .recoveryCode
        }
    }
}

/// The tenant's Guardian settings (Auth0 "Multi-factor Authentication" page, Management API
/// `/api/v2/guardian/factors`): which factors are enabled, and how the phone factor delivers.
public struct GuardianFactorSettings: Sendable, Equatable {
    /// Auth0's factor names, in the order `GET /api/v2/guardian/factors` lists them.
    public static let allNames = [
        "sms", "push-notification", "email", "duo", "otp", "webauthn-roaming", "webauthn-platform", "recovery-code", "passkey",
    ]
    /// The factors Gatehouse offers; the others are listed, always disabled.
    public static let supportedNames: Set<String> = ["otp", "sms", "recovery-code"]
    /// Auth0's phone providers (`PUT /api/v2/guardian/factors/phone/selected-provider`).
    public static let phoneProviders = ["auth0", "twilio", "phone-message-hook"]
    /// The provider that delivers through the `send-phone-message` trigger: the only one this
    /// server can deliver with.
    public static let phoneMessageHook = "phone-message-hook"

    /// Enabled factors by Guardian name (`otp`, `sms`, `recovery-code`).
    public var enabled: Set<String>
    /// The phone factor's selected provider; `auth0` by default, as on a new Auth0 tenant.
    public var phoneProvider: String

    public init(enabled: Set<String> = [], phoneProvider: String = "auth0") {
        self.enabled = enabled
        self.phoneProvider = phoneProvider
    }

    public func isEnabled(_ factor: MultifactorFactor) -> Bool { enabled.contains(factor.guardianName) }

    /// The enabled factors, OTP first, then SMS, then the recovery code.
    public var enabledFactors: [MultifactorFactor] { MultifactorFactor.allCases.filter(isEnabled) }

    static let factorPrefix = "factor."
    static let phoneProviderName = "phone.selected_provider"

    init(stored: [String: String]) {
        self.init(
            enabled: Set(
                stored.compactMap { name, value in
                    name.hasPrefix(Self.factorPrefix) && value == "true" ? String(name.dropFirst(Self.factorPrefix.count)) : nil
                }),
            phoneProvider: stored[Self.phoneProviderName] ?? "auth0")
    }
}

/// Which factors an action's MFA request means (`auth0-actions.md` §3.1, `api.multifactor` and
/// `api.authentication`). Pure functions of the tenant's settings and the user's authenticators,
/// so the login path can decide without another read.
public enum MultifactorSelection {
    public enum Outcome: Sendable, Equatable {
        /// `enable('none')`: no MFA for this login.
        case none
        /// Challenge (or enrol) with one of these, in this order.
        case factors([MultifactorFactor])
        /// The request cannot be honoured on this server; the login fails with this message.
        case unsupported(String)
    }

    /// `api.multifactor.enable(provider)`: `any`, `guardian` and `google-authenticator` mean the
    /// tenant's enabled factors, OTP first (the recovery code last: it is an alternative at a
    /// challenge, issued with the first enrolment, never enrolled on its own); `none` suppresses
    /// MFA; `duo` and anything else are not supported. An empty list means no factor is enabled.
    public static func forProvider(_ provider: String, settings: GuardianFactorSettings) -> Outcome {
        switch provider {
        case "none": .none
        case "any", "guardian", "google-authenticator": .factors(settings.enabledFactors)
        case "duo": .unsupported("MFA with Duo (api.multifactor.enable('duo')) is not supported by this server.")
        default: .unsupported("'\(provider)' is not an MFA provider api.multifactor.enable accepts.")
        }
    }

    /// The factor an `api.authentication` selector `type` names; `nil` for the factors this
    /// server does not offer (`email`, `webauthn-platform`, `webauthn-roaming`, `push`,
    /// `push-notification`), which Auth0 treats like factors not enabled on the tenant.
    public static func factor(forSelector type: String) -> MultifactorFactor? {
        switch type {
        case "otp": .otp
        case "phone": .phone
        case "recovery-code": .recoveryCode
        default: nil
        }
    }

    /// `challengeWith` / `challengeWithAny`: the selectors' factors that are enabled on the tenant
    /// and that the user has a confirmed authenticator for, in the selectors' order, without
    /// repeats. Empty: nothing valid remains and the login fails (Auth0's rule).
    public static func challengeable(
        _ selectors: [String], settings: GuardianFactorSettings, enrollments: [MultifactorEnrollmentRecord]
    ) -> [MultifactorFactor] {
        let confirmed = Set(enrollments.filter { $0.status == .confirmed }.map(\.kind))
        return enrollable(selectors, settings: settings).filter { confirmed.contains($0.enrollmentKind) }
    }

    /// `enrollWith` / `enrollWithAny`: the selectors' factors enabled on the tenant, in order.
    public static func enrollable(_ selectors: [String], settings: GuardianFactorSettings) -> [MultifactorFactor] {
        var factors: [MultifactorFactor] = []
        for selector in selectors {
            if let factor = factor(forSelector: selector), settings.isEnabled(factor), !factors.contains(factor) {
                factors.append(factor)
            }
        }
        return factors
    }
}
