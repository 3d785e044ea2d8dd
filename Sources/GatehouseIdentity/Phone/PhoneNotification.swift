import GatehouseCore

/// One phone message on its way through the outbox (kind `phone`): what the request that asked
/// for it knew, so that delivery needs no other state. The code and the texts that contain it
/// are sealed with the master key (`sealed`): the outbox row never holds a usable code in clear.
public struct PhoneNotification: Codable, Sendable, Equatable {
    /// Unique per message; the outbox idempotency key.
    public var id: String
    /// `otp_enroll` or `otp_verify` (`auth0-actions.md` §2.10).
    public var message_type: String
    /// `text` or `voice`.
    public var delivery_method: String
    /// E.164: always the authenticator's own number, never one from the request.
    public var recipient: String
    /// `configuration.default_from` of the provider.
    public var from: String?
    public var locale: String?
    /// `PhoneNotification.Secret` as JSON text, sealed.
    public var sealed: String
    /// The authenticator whose code this is; delivery checks the code is still its current one.
    public var enrollment_id: String
    public var user_id: String
    /// `event.client` and `event.request` of the request that asked for the code.
    public var client: JSONValue?
    public var request: JSONValue
    /// When the request asked for it, and when the code stops working.
    public var requested_at: EpochMillis
    public var expires_at: EpochMillis

    /// The part that must not be read from the database.
    public struct Secret: Codable, Sendable, Equatable {
        public var code: String
        public var as_text: String
        public var as_voice: String

        public init(code: String, as_text: String, as_voice: String) {
            self.code = code
            self.as_text = as_text
            self.as_voice = as_voice
        }
    }
}

/// How a phone delivery ended without error: the action completed (it sent the message).
public struct PhoneDelivery: Sendable, Equatable {
    public let executionID: String
}

/// Why a phone message was not delivered. `transient`: the outbox tries again (an action that
/// called `api.notification.retry`, threw or timed out, a sandbox that could not run);
/// `permanent`: it will not (`api.notification.drop`, no provider or action any more, the code
/// expired). Never contains the code.
public struct PhoneDeliveryError: Error, Sendable, Equatable, CustomStringConvertible, OutboxFailure {
    public enum Kind: Sendable, Equatable {
        case transient
        case permanent
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var isPermanent: Bool { kind == .permanent }
    public var description: String { message }
}
