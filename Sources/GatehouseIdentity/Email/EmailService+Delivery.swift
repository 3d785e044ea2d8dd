import Foundation
import GatehouseCore
import GatehouseMail
import GatehouseStorage

extension EmailService {
    /// Delivers one composed message through the tenant's provider: the outbox handler's one
    /// entry point. Returns `.delivered` or `.dropped(reason)` (custom provider's
    /// `api.notification.drop`); throws `EmailDeliveryError`, `transient` (retry later: 4xx,
    /// network, timeout, `api.notification.retry`, an action that failed) or `permanent` (no or
    /// disabled provider, 5xx, TLS, refused credentials, bad address). The password never
    /// appears in an error or a log line.
    public func deliver(_ email: OutgoingEmail) async throws -> EmailDeliveryOutcome {
        let (stored, configurationVersion) = try await storage.read { repositories in
            (try await repositories.email.provider(), try await repositories.tenant.configurationVersion())
        }
        guard let stored else {
            throw EmailDeliveryError(
                .permanent, "No email provider is configured: configure one with POST /api/v2/emails/provider (smtp or custom).")
        }
        guard stored.record.enabled else {
            throw EmailDeliveryError(
                .permanent, "The email provider is disabled (enabled: false); the \(email.messageType) email was not sent.")
        }
        let outcome: EmailDeliveryOutcome
        switch stored.record.name {
        case "custom":
            guard let customProvider else {
                throw EmailDeliveryError(.permanent, "The email provider is 'custom', but Actions are not running on this server.")
            }
            outcome = try await customProvider.run(.init(email: email, configurationVersion: configurationVersion))
        default:
            try await sendSMTP(email, provider: stored)
            outcome = .delivered
        }
        logger.info(
            "email delivered",
            metadata: [
                "message_id": "\(email.id)", "message_type": "\(email.messageType)", "provider": "\(stored.record.name)",
                "outcome": "\(outcome)",
            ])
        return outcome
    }

    /// Composes and delivers at once, for callers outside a request (tests, operator tools).
    /// Flows write `compose`'s result to the outbox instead. `nil`: the template is disabled.
    public func send(_ request: EmailRequest) async throws -> EmailDeliveryOutcome? {
        guard let email = try await compose(request) else { return nil }
        return try await deliver(email)
    }

    func sendSMTP(_ email: OutgoingEmail, provider: StoredEmailProvider) async throws {
        guard let credentials = provider.record.credentials else {
            throw EmailDeliveryError(.permanent, "The smtp email provider has no credentials (smtp_host, smtp_port).")
        }
        let message: MailMessage
        do {
            let from = try Self.fromAddress(email.from, field: "from")
            message = MailMessage(
                from: from, to: try MailAddress(email.to), subject: email.subject, text: email.text, html: email.html,
                messageID: "\(email.id)@\(from.domain)")
        } catch let error as EmailSettingsError {
            throw EmailDeliveryError(.permanent, error.message)
        } catch let error as MailFormatError {
            throw EmailDeliveryError(.permanent, error.message)
        }
        let configuration = SMTPConfiguration(
            host: credentials.smtp_host, port: credentials.smtp_port, username: credentials.smtp_user, password: provider.smtpPassword,
            trustedCAFile: delivery.trustedCAFile, clientName: delivery.clientName,
            connectTimeoutSeconds: delivery.connectTimeoutSeconds, replyTimeoutSeconds: delivery.replyTimeoutSeconds)
        do {
            try await SMTPClient(configuration: configuration).send(message)
        } catch let error as SMTPError {
            logger.warning(
                "email not delivered",
                metadata: ["message_id": "\(email.id)", "message_type": "\(email.messageType)", "error": "\(error)"])
            throw EmailDeliveryError(error.isTransient ? .transient : .permanent, error.description)
        }
    }
}
