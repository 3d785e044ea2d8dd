import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// The `custom-phone-provider` trigger (`auth0-actions.md` §2.10, §3.6; Auth0 "Configure a Custom
/// Phone Provider"): when the tenant's phone provider (`/api/v2/branding/phone/providers`) is
/// `custom`, the bound action delivers every phone message itself. The event carries
/// `notification` (`message_type`, `delivery_method`, `recipient`, `from`, `as_text`, `as_voice`,
/// `code`, `locale`), the user (full profile with `enrolledFactors`), client, connection, request,
/// the extended tenant and `transaction`. `api.notification.drop(reason)` ends the message for good;
/// `api.notification.retry(reason)` asks for another attempt (the last call wins, reasons are
/// truncated to 1,024 characters by the runner). A throw, a timeout or a sandbox that cannot run
/// is retried too.
public struct CustomPhoneProvider: TriggerFlow {
    public static let trigger = "custom-phone-provider"

    /// `event.notification`, opened.
    public struct Notification: Sendable, Equatable {
        public var messageType: String
        public var deliveryMethod: String
        public var recipient: String
        public var from: String?
        public var asText: String
        public var asVoice: String
        public var code: String?
        public var locale: String?

        public init(
            messageType: String, deliveryMethod: String, recipient: String, from: String?, asText: String, asVoice: String,
            code: String?, locale: String?
        ) {
            self.messageType = messageType
            self.deliveryMethod = deliveryMethod
            self.recipient = recipient
            self.from = from
            self.asText = asText
            self.asVoice = asVoice
            self.code = code
            self.locale = locale
        }
    }

    public struct Context: Sendable {
        public var notification: Notification
        public var user: UserRecord
        /// For `event.user.multifactor` and `enrolledFactors`.
        public var enrollments: [MultifactorEnrollmentRecord]
        public var connection: ConnectionRecord?
        public var client: JSONValue?
        public var request: JSONValue
        public var configurationVersion: Int64

        public init(
            notification: Notification, user: UserRecord, enrollments: [MultifactorEnrollmentRecord], connection: ConnectionRecord?,
            client: JSONValue?, request: JSONValue, configurationVersion: Int64
        ) {
            self.notification = notification
            self.user = user
            self.enrollments = enrollments
            self.connection = connection
            self.client = client
            self.request = request
            self.configurationVersion = configurationVersion
        }
    }

    public let flows: FlowRunner
    /// `event.tenant` (`id`, `friendly_name`, `support_email`, …).
    let tenant: JSONValue

    public init(flows: FlowRunner, tenant: JSONValue) {
        self.flows = flows
        self.tenant = tenant
    }

    public func caller(_ context: Context) -> FlowRunner.Caller {
        FlowRunner.Caller(
            clientID: context.client?["client_id"]?.stringValue, clientName: context.client?["name"]?.stringValue,
            ip: context.request["ip"]?.stringValue, userAgent: context.request["user_agent"]?.stringValue,
            userID: context.user.user_id, userName: context.user.logName)
    }

    public func configurationVersion(_ context: Context) -> Int64 { context.configurationVersion }

    public func event(_ context: Context) async throws -> JSONValue {
        let message = context.notification
        var notification: [String: JSONValue] = [
            "message_type": .string(message.messageType), "delivery_method": .string(message.deliveryMethod),
            "recipient": .string(message.recipient), "as_text": .string(message.asText), "as_voice": .string(message.asVoice),
        ]
        if let from = message.from { notification["from"] = .string(from) }
        if let code = message.code { notification["code"] = .string(code) }
        if let locale = message.locale { notification["locale"] = .string(locale) }
        var user = PostLoginContext.profile(context.user).objectValue ?? [:]
        for (key, value) in MultifactorService.eventFields(context.enrollments) { user[key] = value }
        var event: [String: JSONValue] = [
            "notification": .object(notification), "user": .object(user), "request": context.request, "tenant": tenant,
            "transaction": .object([:]),
            "connection": EventParts.connection(context.connection, name: context.user.connection),
        ]
        if let client = context.client { event["client"] = client }
        return .object(event)
    }

    public func decide(_ outcome: FlowRunner.Outcome?, context: Context) throws -> PhoneDelivery {
        guard let outcome else {
            throw PhoneDeliveryError(
                .permanent,
                "The phone provider is 'custom', but no action is bound to the custom-phone-provider trigger: bind one"
                    + " (PATCH /api/v2/actions/triggers/custom-phone-provider/bindings).")
        }
        switch outcome.result.status {
        case .completed:
            let last = outcome.result.commands.last { $0.method == "api.notification.drop" || $0.method == "api.notification.retry" }
            let reason = String((last?.args.first?.stringValue ?? "").prefix(1024))
            switch last?.method {
            case "api.notification.drop":
                throw PhoneDeliveryError(
                    .permanent,
                    "The custom-phone-provider action dropped the message (execution \(outcome.executionID))"
                        + (reason.isEmpty ? "." : ": \(reason)"))
            case "api.notification.retry":
                throw PhoneDeliveryError(
                    .transient,
                    "The custom-phone-provider action asked for a retry (execution \(outcome.executionID))"
                        + (reason.isEmpty ? "." : ": \(reason)"))
            default:
                return PhoneDelivery(executionID: outcome.executionID)
            }
        case .failed where outcome.platformFailed:
            throw PhoneDeliveryError(.transient, "The Actions sandbox could not run the custom-phone-provider action; it will be retried.")
        case .failed, .denied, .suspended:
            let action = outcome.failedActionName.map { " '\($0)'" } ?? ""
            let detail = outcome.result.error?.message ?? outcome.result.actions.last(where: { $0.error != nil })?.error?.message ?? ""
            throw PhoneDeliveryError(
                .transient,
                "The custom-phone-provider action\(action) failed (execution \(outcome.executionID))"
                    + (detail.isEmpty ? "" : ": \(detail.prefix(300))"))
        }
    }
}
