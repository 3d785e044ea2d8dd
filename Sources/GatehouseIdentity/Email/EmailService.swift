import GatehouseActions
import GatehouseCore
import GatehouseMail
import GatehouseStorage
import Logging

/// E-mail for the identity flows: the tenant's provider and templates (Auth0's
/// `/api/v2/emails/provider` and `/api/v2/email-templates`), turning a template and its
/// variables into a message (`compose`), and delivering it through SMTP or the
/// custom-email-provider action (`deliver`).
///
/// The two halves are apart on purpose: a flow composes in its request and writes the
/// `OutgoingEmail` (Codable) into the outbox in the same transaction as its change; the outbox
/// relay calls `deliver` later, and retries only what `deliver` reports as transient. Nothing is
/// ever sent from inside the request that asks for it.
public struct EmailService: Sendable {
    /// Server-side delivery settings (not part of Auth0's provider document).
    public struct DeliverySettings: Sendable {
        /// Extra CAs to trust for SMTP TLS (`GATEHOUSE_SMTP_CA_FILE`).
        public var trustedCAFile: String?
        /// The `EHLO` name: the issuer's host.
        public var clientName: String
        public var connectTimeoutSeconds: Int64
        public var replyTimeoutSeconds: Int64

        public init(trustedCAFile: String? = nil, clientName: String, connectTimeoutSeconds: Int64 = 15, replyTimeoutSeconds: Int64 = 60) {
            self.trustedCAFile = trustedCAFile
            self.clientName = clientName
            self.connectTimeoutSeconds = connectTimeoutSeconds
            self.replyTimeoutSeconds = replyTimeoutSeconds
        }
    }

    /// What templates know of the tenant (`{{ tenant }}`, `{{ friendly_name }}`,
    /// `{{ support_email }}`, `{{ support_url }}`), also `event.tenant` of the custom provider.
    public struct TenantDetails: Sendable {
        public var name: String
        public var friendlyName: String
        public var supportEmail: String?
        public var supportURL: String?
        public var homeURL: String?

        public init(
            name: String, friendlyName: String? = nil, supportEmail: String? = nil, supportURL: String? = nil, homeURL: String? = nil
        ) {
            self.name = name
            self.friendlyName = friendlyName ?? name
            self.supportEmail = supportEmail
            self.supportURL = supportURL
            self.homeURL = homeURL
        }

        var event: JSONValue {
            var tenant: [String: JSONValue] = ["id": .string(name), "friendly_name": .string(friendlyName)]
            if let supportEmail { tenant["support_email"] = .string(supportEmail) }
            if let supportURL { tenant["support_url"] = .string(supportURL) }
            if let homeURL { tenant["home_url"] = .string(homeURL) }
            return .object(tenant)
        }
    }

    let storage: Storage
    /// Runs the custom-email-provider action; `nil` without Actions (a `custom` provider then
    /// cannot deliver, which `deliver` reports).
    let customProvider: CustomEmailProvider?
    public let tenant: TenantDetails
    public let delivery: DeliverySettings
    let logger: Logger

    public init(storage: Storage, flows: FlowRunner?, tenant: TenantDetails, delivery: DeliverySettings, logger: Logger) {
        self.storage = storage
        self.customProvider = flows.map { CustomEmailProvider(flows: $0, tenant: tenant.event) }
        self.tenant = tenant
        self.delivery = delivery
        self.logger = logger
    }
}
