import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// The `send-phone-message` trigger (`auth0-actions.md` §2.7, §3.4; Auth0 "Send Phone Message
/// Flow"): when the phone factor's selected provider is `phone-message-hook`, the bound actions
/// deliver MFA codes themselves (an HTTP call to an SMS gateway). The event carries
/// `message_options` (`action`, `code`, `message_type`, `recipient`, `text`), the user, the
/// client, the request and the tenant; the api has only `api.cache`. A flow that throws, times
/// out or has no action bound means the message was not sent: `MultifactorError.deliveryFailed`.
public struct SendPhoneMessage: TriggerFlow {
    public static let trigger = "send-phone-message"

    /// Why the code is sent (`message_options.action`).
    public enum Action: String, Sendable {
        case enrollment
        case secondFactorAuthentication = "second-factor-authentication"
    }

    /// `message_options.message_type`.
    public enum MessageType: String, Sendable {
        case sms
        case voice
    }

    /// `event.message_options`.
    public struct Message: Sendable, Equatable {
        public var action: Action
        public var code: String
        public var messageType: MessageType
        /// The phone number, E.164.
        public var recipient: String
        public var text: String

        public init(action: Action, code: String, messageType: MessageType, recipient: String, text: String) {
            self.action = action
            self.code = code
            self.messageType = messageType
            self.recipient = recipient
            self.text = text
        }
    }

    /// Where the message is asked for from: the application and HTTP request of the login (or
    /// MFA API call) that needs the code.
    public struct Origin: Sendable {
        public var client: ClientRecord?
        public var request: ActionEventRequest
        public var configurationVersion: Int64

        public init(client: ClientRecord?, request: ActionEventRequest, configurationVersion: Int64) {
            self.client = client
            self.request = request
            self.configurationVersion = configurationVersion
        }
    }

    public struct Context: Sendable {
        public var message: Message
        public var user: UserRecord
        /// The user's authenticators, for `event.user.multifactor` and `enrolledFactors`.
        public var enrollments: [MultifactorEnrollmentRecord]
        public var origin: Origin

        public init(message: Message, user: UserRecord, enrollments: [MultifactorEnrollmentRecord], origin: Origin) {
            self.message = message
            self.user = user
            self.enrollments = enrollments
            self.origin = origin
        }
    }

    /// A message the bound actions handled, and the execution that did it.
    public struct Delivery: Sendable, Equatable {
        public let executionID: String
    }

    public let flows: FlowRunner
    let tenantName: String
    let geoip: MaxMindDatabase?

    public init(flows: FlowRunner, tenantName: String, geoip: MaxMindDatabase? = nil) {
        self.flows = flows
        self.tenantName = tenantName
        self.geoip = geoip
    }

    public func caller(_ context: Context) -> FlowRunner.Caller {
        FlowRunner.Caller(
            clientID: context.origin.client?.client_id, clientName: context.origin.client?.name, ip: context.origin.request.ip,
            userAgent: context.origin.request.userAgent, userID: context.user.user_id, userName: context.user.logName)
    }

    public func configurationVersion(_ context: Context) -> Int64 { context.origin.configurationVersion }

    public func event(_ context: Context) async throws -> JSONValue {
        var user = PostLoginContext.profile(context.user).objectValue ?? [:]
        for (key, value) in MultifactorService.eventFields(context.enrollments) { user[key] = value }
        let message = context.message
        var event: [String: JSONValue] = [
            "message_options": .object([
                "action": .string(message.action.rawValue), "code": .string(message.code),
                "message_type": .string(message.messageType.rawValue), "recipient": .string(message.recipient),
                "text": .string(message.text),
            ]),
            "user": .object(user),
            "request": context.origin.request.json(geoip: geoip),
            "tenant": .object(["id": .string(tenantName)]),
            "transaction": .object([:]),
        ]
        if let client = context.origin.client { event["client"] = EventParts.client(client) }
        return .object(event)
    }

    public func decide(_ outcome: FlowRunner.Outcome?, context: Context) throws -> Delivery {
        guard let outcome else {
            throw MultifactorError(
                .deliveryFailed,
                "The code could not be sent: the phone provider is phone-message-hook, but no action is bound to the"
                    + " send-phone-message trigger and no send-phone-message hook is enabled.")
        }
        switch outcome.result.status {
        case .completed:
            return Delivery(executionID: outcome.executionID)
        case .failed where outcome.platformFailed:
            throw MultifactorError(
                .deliveryFailed,
                "The code could not be sent right now (the Actions sandbox is unavailable). Try again in a few seconds.")
        case .failed, .denied, .suspended:
            let action = outcome.failedActionName.map { " '\($0)'" } ?? ""
            throw MultifactorError(
                .deliveryFailed,
                "The code could not be sent to your phone: the send-phone-message \(outcome.failedStepKind)\(action) failed"
                    + " (execution \(outcome.executionID)). Try again later or use another method.")
        }
    }
}
