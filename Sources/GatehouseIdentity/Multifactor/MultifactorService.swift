import GatehouseCore
import GatehouseStorage
import Logging

/// Multi-factor authentication, server side: the tenant's Guardian factors, users' authenticators
/// (TOTP, SMS, recovery code), checking their codes with brute-force protection, and remembered
/// browsers. The login path decides *when* to challenge (`MultifactorSelection`); this decides
/// whether a code is right. Auth0 docs: "Multi-Factor Authentication Factors", "Manage
/// Authentication Methods with Management API", "Configure Recovery Codes for MFA".
///
/// Secrets at rest: TOTP keys sealed with the master key; recovery codes, SMS codes and
/// remembered-browser tokens only as SHA-256 digests. No method logs a code or a key.
public struct MultifactorService: Sendable {
    let storage: Storage
    /// `issuer` of `otpauth://` URIs: what authenticator apps show above the code.
    let issuerName: String
    /// Delivers SMS codes through the `send-phone-message` trigger; `nil` without Actions.
    let phoneMessages: SendPhoneMessage?
    /// The tenant's phone provider (`/api/v2/branding/phone/providers`): when one is active it
    /// delivers every code, whatever the phone factor's selected provider; `nil` in tests that
    /// build the service alone.
    let phoneProvider: PhoneProviderService?
    let logger: Logger
    /// Wrong codes a user may enter before verification pauses (a bucket that refills, one
    /// attempt every `attemptRefillMillis`).
    let attemptLimit: Int
    let attemptRefillMillis: Int64

    /// How long an SMS code works.
    public static let phoneCodeLifetime: EpochMillis = 300_000
    /// Guesses allowed at one SMS code; then a new code must be sent.
    public static let phoneCodeAttempts = 5
    /// Messages sent to one user's phone: 5 at once, then one more every 2 minutes.
    static let messageLimit = 5
    static let messageRefillMillis: Int64 = 120_000
    /// Default lifetime of "remember this browser" (Auth0's default MFA session lifetime, 30 days).
    public static let rememberBrowserLifetime: EpochMillis = 30 * 86_400_000

    /// `ip_throttle` stages: wrong codes per user, messages per user.
    static let verifyStage = "mfa-verify"
    static let sendStage = "mfa-send"

    public init(
        storage: Storage, issuerName: String, phoneMessages: SendPhoneMessage?, phoneProvider: PhoneProviderService? = nil,
        logger: Logger, attemptLimit: Int = 10, attemptRefillMillis: Int64 = 360_000
    ) {
        self.storage = storage
        self.issuerName = issuerName
        self.phoneMessages = phoneMessages
        self.phoneProvider = phoneProvider
        self.logger = logger
        self.attemptLimit = attemptLimit
        self.attemptRefillMillis = attemptRefillMillis
    }

    // MARK: Tenant settings

    public func settings() async throws -> GuardianFactorSettings {
        try await storage.read { GuardianFactorSettings(stored: try await $0.guardianSettings.all()) }
    }

    /// `PUT /api/v2/guardian/factors/{name}`: only `otp`, `sms` and `recovery-code` can be
    /// enabled; disabling any known factor is accepted (they are all disabled already).
    public func setFactor(_ name: String, enabled: Bool) async throws -> Bool {
        guard GuardianFactorSettings.allNames.contains(name) else {
            throw MultifactorError(
                .unsupported,
                "'\(name)' is not a factor; factors are \(GuardianFactorSettings.allNames.joined(separator: ", ")).")
        }
        guard GuardianFactorSettings.supportedNames.contains(name) else {
            if !enabled { return false }
            throw MultifactorError(
                .unsupported,
                "The \(name) factor is not supported by this server; the factors it offers are otp, sms and recovery-code.")
        }
        try await storage.transaction {
            try await $0.guardianSettings.set(GuardianFactorSettings.factorPrefix + name, enabled ? "true" : "false")
        }
        return enabled
    }

    /// `PUT /api/v2/guardian/factors/phone/selected-provider`. Every Auth0 provider name is
    /// accepted (configurations copied from Auth0 keep working); only `phone-message-hook` can
    /// deliver here, which sending a code says clearly.
    public func setPhoneProvider(_ provider: String) async throws {
        guard GuardianFactorSettings.phoneProviders.contains(provider) else {
            throw MultifactorError(
                .unsupported,
                "'\(provider)' is not a phone provider; providers are \(GuardianFactorSettings.phoneProviders.joined(separator: ", ")).")
        }
        try await storage.transaction {
            try await $0.guardianSettings.set(GuardianFactorSettings.phoneProviderName, provider)
        }
    }

    // MARK: Authenticators

    /// The user's authenticators, oldest first; `nil` when the user does not exist.
    public func enrollments(userID: String) async throws -> [MultifactorEnrollmentRecord]? {
        try await storage.read { repositories in
            guard try await repositories.users.get(userID) != nil else { return nil }
            return try await repositories.multifactor.enrollments(userID: userID)
        }
    }

    /// `event.user.multifactor` and `event.user.enrolledFactors` (`auth0-actions.md` §2.1) for
    /// these authenticators: `["guardian"]` once one is confirmed (Guardian is Auth0's provider
    /// for OTP and SMS), and one `{type}` per confirmed OTP or phone authenticator.
    public static func eventFields(_ enrollments: [MultifactorEnrollmentRecord]) -> [String: JSONValue] {
        var factors: [JSONValue] = []
        for enrollment in enrollments where enrollment.status == .confirmed {
            switch enrollment.kind {
            case .totp: factors.append(.object(["type": "otp"]))
            case .phone: factors.append(.object(["type": "phone", "options": .object(["preferredMethod": "sms"])]))
            case .recoveryCode: continue
            }
        }
        return ["multifactor": .array(factors.isEmpty ? [] : ["guardian"]), "enrolledFactors": .array(factors)]
    }

    /// Deletes one authenticator of the user by Auth0's authentication-method id
    /// (`totp|dev_…`; `sms|dev_…` is read as `phone|dev_…`) or device id (`dev_…`). Once no
    /// OTP or phone authenticator is left, the recovery code goes too (it only stood in for them).
    /// `false` when the user has no such authenticator.
    public func delete(methodID: String, userID: String? = nil) async throws -> Bool {
        guard let (kind, id) = Self.parse(methodID: methodID) else { return false }
        return try await storage.transaction { repositories in
            guard let enrollment = try await repositories.multifactor.get(id), kind == nil || enrollment.kind == kind,
                userID == nil || enrollment.user_id == userID
            else { return false }
            _ = try await repositories.multifactor.delete(id)
            let left = try await repositories.multifactor.enrollments(userID: enrollment.user_id)
            if !left.contains(where: { $0.kind != .recoveryCode && $0.status == .confirmed }) {
                _ = try await repositories.multifactor.deleteAll(userID: enrollment.user_id, kinds: [.recoveryCode])
            }
            return true
        }
    }

    /// Deletes every authenticator of the user (Auth0's "reset MFA"); `false` when the user does
    /// not exist.
    public func deleteAll(userID: String) async throws -> Bool {
        try await storage.transaction { repositories in
            guard try await repositories.users.get(userID) != nil else { return false }
            _ = try await repositories.multifactor.deleteAll(userID: userID, kinds: nil)
            return true
        }
    }

    /// Call inside the transaction that deletes a user: their authenticators, codes and
    /// remembered browsers go with them.
    public static func userWasDeleted(_ userID: String, in repositories: Repositories) async throws {
        _ = try await repositories.multifactor.deleteAll(userID: userID, kinds: nil)
        try await repositories.rememberedBrowsers.forget(userID: userID)
    }

    /// `(kind, device id)` of `totp|dev_…`, `phone|dev_…`, `sms|dev_…`, `recovery-code|dev_…`, or
    /// `(nil, dev_…)`; `nil` for anything else.
    static func parse(methodID: String) -> (MultifactorEnrollmentKind?, String)? {
        let parts = methodID.split(separator: "|", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (nil, methodID)
        case 2:
            let prefix = parts[0] == "sms" ? "phone" : String(parts[0])
            guard let kind = MultifactorEnrollmentKind(rawValue: prefix) else { return nil }
            return (kind, String(parts[1]))
        default: return nil
        }
    }

    // MARK: Remembered browsers

    /// Remembers this browser for the user ("remember this browser", when the action allowed it
    /// with `allowRememberBrowser`): returns the token to set as a cookie; only its SHA-256 is kept.
    public func rememberBrowser(userID: String, lifetime: EpochMillis = rememberBrowserLifetime, now: EpochMillis = Timestamp.nowMillis())
        async throws -> String
    {
        let token = RandomIdentifier.token()
        try await storage.transaction {
            try await $0.rememberedBrowsers.remember(
                tokenHash: SecretComparison.digest(token), userID: userID, createdAt: now, expiresAt: now + lifetime)
        }
        return token
    }

    /// Whether the browser holding `token` was remembered for this user and still is.
    public func isBrowserRemembered(userID: String, token: String?, now: EpochMillis = Timestamp.nowMillis()) async throws -> Bool {
        guard let token, !token.isEmpty, token.utf8.count <= 256 else { return false }
        return try await isBrowserRemembered(userID: userID, tokenHash: SecretComparison.digest(token), now: now)
    }

    /// `isBrowserRemembered` for the SHA-256 of the cookie (what a login attempt keeps).
    public func isBrowserRemembered(userID: String, tokenHash: String, now: EpochMillis = Timestamp.nowMillis()) async throws -> Bool {
        try await storage.read { try await $0.rememberedBrowsers.isRemembered(tokenHash: tokenHash, userID: userID, now: now) }
    }

    /// Forgets every remembered browser of the user (`POST /api/v2/users/{id}/multifactor/actions/
    /// invalidate-remember-browser`); `false` when the user does not exist.
    public func forgetBrowsers(userID: String) async throws -> Bool {
        try await storage.transaction { repositories in
            guard try await repositories.users.get(userID) != nil else { return false }
            try await repositories.rememberedBrowsers.forget(userID: userID)
            return true
        }
    }
}
