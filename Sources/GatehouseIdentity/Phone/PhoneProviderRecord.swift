import GatehouseCore

/// The tenant's phone provider as Auth0's Management API shows it
/// (`/api/v2/branding/phone/providers`, Auth0 "Configure Phone Messaging Providers"): one per
/// tenant, `custom` (the custom-phone-provider action delivers) or `twilio`. `credentials` are not
/// part of it: they are write-only, kept sealed beside it (`StoredPhoneProvider`).
public struct PhoneProviderRecord: Codable, Sendable, Equatable {
    /// `pro_…`.
    public var id: String
    /// The tenant's name.
    public var tenant: String
    /// `custom` or `twilio`.
    public var name: String
    /// Always `phone`.
    public var channel: String
    /// `true`: configured but not used (the MFA phone settings apply again).
    public var disabled: Bool
    /// `delivery_methods` (`text`, `voice`), and for Twilio `sid`, `mssid`, `default_from`.
    public var configuration: JSONValue
    /// ISO 8601.
    public var created_at: String
    public var updated_at: String

    public init(
        id: String, tenant: String, name: String, channel: String = "phone", disabled: Bool, configuration: JSONValue,
        created_at: String, updated_at: String
    ) {
        self.id = id
        self.tenant = tenant
        self.name = name
        self.channel = channel
        self.disabled = disabled
        self.configuration = configuration
        self.created_at = created_at
        self.updated_at = updated_at
    }

    /// `configuration.delivery_methods`.
    public var deliveryMethods: [String] {
        configuration["delivery_methods"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// `configuration.default_from`: the sender number the event's `notification.from` carries.
    public var defaultFrom: String? { configuration["default_from"]?.stringValue }
}

/// What the tenant settings keep: the record and its credentials sealed with the master key
/// (JSON text of the `credentials` object; `nil` for `custom`, which has none).
struct StoredPhoneProvider: Codable, Sendable, Equatable {
    var record: PhoneProviderRecord
    var sealed_credentials: String?
}

/// Refusals of the phone provider settings as the Management API reports them.
public struct PhoneProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidBody = "invalid_body"
        case notFound = "inexistent_phone_provider"
        case exists = "phone_provider_already_exists"
        case cannotDeliver = "phone_provider_cannot_deliver"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
