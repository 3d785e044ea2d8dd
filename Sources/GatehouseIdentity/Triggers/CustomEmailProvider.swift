import GatehouseActions
import GatehouseCore

/// The `custom-email-provider` trigger (`auth0-actions.md` §2.9, §3.6; Auth0 "Configure a Custom
/// Email Provider"): when the tenant's e-mail provider is `custom`, the bound action delivers
/// every message itself. The event carries `notification` (`from`, `to`, `subject`, `html`,
/// `text`, `locale`, `message_type`), the user, client, connection and request the message is
/// about, and the tenant. `api.notification.drop(reason)` ends the message without sending it
/// again; `api.notification.retry(reason)` asks for another attempt later (the last call wins).
/// An action that throws or times out, or a sandbox that cannot run it, is retried too: the
/// delivery is a transient failure.
public struct CustomEmailProvider: TriggerFlow {
    public static let trigger = "custom-email-provider"

    public struct Context: Sendable {
        public var email: OutgoingEmail
        public var configurationVersion: Int64

        public init(email: OutgoingEmail, configurationVersion: Int64) {
            self.email = email
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
            clientID: context.email.client?["client_id"]?.stringValue, clientName: context.email.client?["name"]?.stringValue,
            ip: context.email.request?["ip"]?.stringValue, userAgent: context.email.request?["user_agent"]?.stringValue,
            userID: context.email.user?["user_id"]?.stringValue, userName: context.email.user?["email"]?.stringValue)
    }

    public func configurationVersion(_ context: Context) -> Int64 { context.configurationVersion }

    public func event(_ context: Context) async throws -> JSONValue {
        Self.event(context.email, tenant: tenant)
    }

    /// The event for `email` (without `secrets`, which each action gets its own).
    static func event(_ email: OutgoingEmail, tenant: JSONValue) -> JSONValue {
        var notification: [String: JSONValue] = [
            "from": .string(email.from), "to": .string(email.to), "subject": .string(email.subject), "html": .string(email.html),
            "text": .string(email.text), "message_type": .string(email.messageType),
        ]
        if let locale = email.locale { notification["locale"] = .string(locale) }
        var event: [String: JSONValue] = [
            "notification": .object(notification), "tenant": tenant, "transaction": .object([:]),
            "request": email.request ?? .object([:]), "user": email.user ?? .object([:]),
        ]
        if let client = email.client { event["client"] = client }
        if let connection = email.connection { event["connection"] = connection }
        return .object(event)
    }

    public func decide(_ outcome: FlowRunner.Outcome?, context: Context) throws -> EmailDeliveryOutcome {
        guard let outcome else {
            throw EmailDeliveryError(
                .permanent,
                "The e-mail provider is 'custom', but no action is bound to the custom-email-provider trigger: bind one"
                    + " (PATCH /api/v2/actions/triggers/custom-email-provider/bindings) or configure SMTP.")
        }
        switch outcome.result.status {
        case .completed:
            let last = outcome.result.commands.last { $0.method == "api.notification.drop" || $0.method == "api.notification.retry" }
            let reason = last?.args.first?.stringValue ?? ""
            switch last?.method {
            case "api.notification.drop": return .dropped(reason: reason)
            case "api.notification.retry":
                throw EmailDeliveryError(
                    .transient,
                    "The custom-email-provider action asked for a retry (execution \(outcome.executionID))"
                        + (reason.isEmpty ? "." : ": \(reason)"))
            default: return .delivered
            }
        case .failed where outcome.platformFailed:
            throw EmailDeliveryError(.transient, "The Actions sandbox could not run the custom-email-provider action; it will be retried.")
        case .failed, .denied, .suspended:
            let action = outcome.failedActionName.map { " '\($0)'" } ?? ""
            let detail = outcome.result.error?.message ?? outcome.result.actions.last(where: { $0.error != nil })?.error?.message ?? ""
            throw EmailDeliveryError(
                .transient,
                "The custom-email-provider action\(action) failed (execution \(outcome.executionID))"
                    + (detail.isEmpty ? "" : ": \(detail.prefix(300))") + "; it will be retried.")
        }
    }
}
