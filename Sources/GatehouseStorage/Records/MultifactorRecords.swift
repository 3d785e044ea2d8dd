import GatehouseCore

/// One authenticator of a user (Auth0's "authentication method" / Guardian "enrollment"). The
/// secret that proves it — a TOTP key, a recovery code — is not part of the record: TOTP keys are
/// sealed with the master key and read only through `MultifactorRepository.totpSecret(_:)`,
/// recovery codes are stored as their SHA-256 and only ever compared.
public struct MultifactorEnrollmentRecord: Sendable, Equatable {
    /// Auth0's authentication-method types Gatehouse enrols.
    public enum Kind: String, Sendable, CaseIterable {
        case totp
        case phone
        case recoveryCode = "recovery-code"
    }

    public enum Status: String, Sendable {
        /// Created, not yet proven with a first code.
        case pending
        case confirmed
    }

    /// The device id, `dev_` and 16 alphanumerics (Auth0's Guardian enrollment id).
    public var id: String
    public var user_id: String
    public var kind: Kind
    public var status: Status
    /// E.164 number of a `phone` authenticator.
    public var phone_number: String?
    public var created_at: EpochMillis
    public var last_auth_at: EpochMillis?

    public init(
        id: String, user_id: String, kind: Kind, status: Status, phone_number: String? = nil, created_at: EpochMillis,
        last_auth_at: EpochMillis? = nil
    ) {
        self.id = id
        self.user_id = user_id
        self.kind = kind
        self.status = status
        self.phone_number = phone_number
        self.created_at = created_at
        self.last_auth_at = last_auth_at
    }

    /// Auth0's authentication-method id: `totp|dev_…`, `phone|dev_…`, `recovery-code|dev_…`.
    public var methodID: String { "\(kind.rawValue)|\(id)" }

    /// A new device id.
    public static func newID() -> String { RandomIdentifier.prefixed("dev") }
}

/// A one-time code sent to a phone and not yet used: stored by its SHA-256, with the number of
/// guesses already made against it.
public struct MultifactorCodeRecord: Sendable, Equatable {
    public var enrollment_id: String
    public var user_id: String
    public var code_hash: String
    public var attempts: Int
    public var created_at: EpochMillis
    public var expires_at: EpochMillis

    public init(
        enrollment_id: String, user_id: String, code_hash: String, attempts: Int = 0, created_at: EpochMillis, expires_at: EpochMillis
    ) {
        self.enrollment_id = enrollment_id
        self.user_id = user_id
        self.code_hash = code_hash
        self.attempts = attempts
        self.created_at = created_at
        self.expires_at = expires_at
    }
}
