import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseStorage
import Logging

/// The tenant's phone provider (Auth0 "Management API: Branding", `/branding/phone/providers`)
/// and the delivery of phone messages through it.
///
/// Auth0 allows one provider per tenant ("You can only configure one phone provider for all SMS
/// and voice communications per tenant"): a second `POST` is a 409. `custom` delivers through the
/// `custom-phone-provider` action; `twilio` is accepted and stored (so a tenant's configuration
/// round-trips) but this server has no way to reach Twilio, and says so when a message is due.
///
/// When a provider is configured and not disabled, it is the tenant's phone provider for every
/// phone message, MFA codes included, whatever the Guardian phone factor's selected provider
/// says (Auth0's "Unified Phone Experience"); a disabled one leaves the MFA phone settings in
/// charge. The document lives in the tenant settings (`phone_provider`), credentials sealed with
/// the master key; it is read once per phone message.
public struct PhoneProviderService: Sendable {
    static let setting = "phone_provider"

    /// Auth0's provider names.
    public static let names = ["custom", "twilio"]
    public static let deliveryMethods = ["text", "voice"]

    let storage: Storage
    /// `event.tenant` (extended: `friendly_name`, `support_email`, …) and `tenant` of the record.
    let tenant: EmailService.TenantDetails
    /// Runs the custom-phone-provider action; `nil` without Actions.
    let customProvider: CustomPhoneProvider?
    let relay: OutboxRelay
    let geoip: MaxMindDatabase?
    let logger: Logger

    public init(
        storage: Storage, tenant: EmailService.TenantDetails, flows: FlowRunner?, relay: OutboxRelay, geoip: MaxMindDatabase?,
        logger: Logger
    ) {
        self.storage = storage
        self.tenant = tenant
        self.customProvider = flows.map { CustomPhoneProvider(flows: $0, tenant: tenant.event) }
        self.relay = relay
        self.geoip = geoip
        self.logger = logger
    }

    // MARK: Management

    /// `GET /branding/phone/providers`: none or one; `disabled` filters on the flag.
    public func list(disabled: Bool? = nil) async throws -> [PhoneProviderRecord] {
        guard let stored = try await stored() else { return [] }
        if let disabled, stored.record.disabled != disabled { return [] }
        return [stored.record]
    }

    /// `GET /branding/phone/providers/{id}`.
    public func get(_ id: String) async throws -> PhoneProviderRecord {
        guard let stored = try await stored(), stored.record.id == id else { throw Self.notFound(id) }
        return stored.record
    }

    /// `POST /branding/phone/providers`: the tenant's one provider; 409 when there is one.
    public func create(_ body: [String: JSONValue], now: EpochMillis = Timestamp.nowMillis()) async throws -> PhoneProviderRecord {
        let name = body["name"]?.stringValue ?? ""
        let created = Timestamp.iso8601(now)
        let record = PhoneProviderRecord(
            id: "pro_" + RandomIdentifier.alphanumeric(length: 16), tenant: tenant.name, name: name,
            disabled: body["disabled"]?.boolValue ?? false, configuration: .object([:]), created_at: created, updated_at: created)
        let stored = try Self.applying(body, to: StoredPhoneProvider(record: record, sealed_credentials: nil), masterKey: storage.masterKey)
        let text = try Self.encode(stored)
        do {
            try await storage.transaction { try await $0.tenant.insert(Self.setting, text) }
        } catch StorageError.conflict {
            throw PhoneProviderError(
                .exists,
                "A phone provider is already configured (one per tenant): change it with PATCH /api/v2/branding/phone/providers/{id}"
                    + " or delete it first.")
        }
        logger.info("phone provider configured", metadata: ["id": "\(record.id)", "name": "\(name)"])
        return stored.record
    }

    /// `PATCH /branding/phone/providers/{id}`: members left out keep their value; `configuration`
    /// and `credentials`, when given, replace the stored ones.
    public func update(_ id: String, _ patch: [String: JSONValue], now: EpochMillis = Timestamp.nowMillis()) async throws
        -> PhoneProviderRecord
    {
        let masterKey = storage.masterKey
        return try await storage.transaction { repositories in
            guard let text = try await repositories.tenant.value(Self.setting), let current = Self.decode(text),
                current.record.id == id
            else { throw Self.notFound(id) }
            var updated = try Self.applying(patch, to: current, masterKey: masterKey)
            updated.record.updated_at = Timestamp.iso8601(now)
            try await repositories.tenant.set(Self.setting, try Self.encode(updated))
            return updated.record
        }
    }

    /// `DELETE /branding/phone/providers/{id}`.
    public func delete(_ id: String) async throws {
        try await storage.transaction { repositories in
            guard let text = try await repositories.tenant.value(Self.setting), let current = Self.decode(text),
                current.record.id == id
            else { throw Self.notFound(id) }
            _ = try await repositories.tenant.remove(Self.setting)
        }
    }

    /// The provider that delivers phone messages now: configured and not disabled.
    public func active() async throws -> PhoneProviderRecord? {
        guard let stored = try await stored(), !stored.record.disabled else { return nil }
        return stored.record
    }

    func stored() async throws -> StoredPhoneProvider? {
        try await storage.read { try await $0.tenant.value(Self.setting) }.flatMap(Self.decode)
    }

    static func notFound(_ id: String) -> PhoneProviderError {
        PhoneProviderError(
            .notFound,
            "No phone provider with id \(id.prefix(64)) is configured; list it with GET /api/v2/branding/phone/providers"
                + " or create one with POST.")
    }

    static func encode(_ stored: StoredPhoneProvider) throws -> String {
        try JSONValue(encoding: stored).jsonText()
    }

    /// `nil` for a document that no longer decodes (written by hand): treated as none.
    static func decode(_ text: String) -> StoredPhoneProvider? {
        try? JSONValue(jsonText: text)?.decoded(as: StoredPhoneProvider.self)
    }
}
