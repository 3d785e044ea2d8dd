import GatehouseCore
import GatehouseStorage
import Logging

extension EmailService {
    /// The outbox kind of e-mails.
    public static let outboxKind = "email"

    /// Writes `email` into the outbox within `repositories`' transaction (the change that sends
    /// it commits with it); the relay delivers it after the commit.
    public static func enqueue(_ email: OutgoingEmail, in repositories: Repositories) async throws {
        try await repositories.outbox.enqueue(
            OutboxMessage(kind: outboxKind, idempotencyKey: idempotencyKey(email.id), payload: try JSONValue(encoding: email)),
            now: Timestamp.nowMillis())
    }

    /// The outbox key of the e-mail whose `OutgoingEmail.id` is `messageID`.
    static func idempotencyKey(_ messageID: String) -> String { "email:" + messageID }

    /// Whether an enabled provider is configured: without one, flows send nothing.
    public func canDeliver() async throws -> Bool {
        try await storage.read { try await $0.email.provider()?.record.enabled ?? false }
    }
}

extension EmailDeliveryError: OutboxFailure {
    public var isPermanent: Bool { kind == .permanent }
}

/// Delivers the outbox's e-mails through `EmailService.deliver`: delivered and dropped
/// (`api.notification.drop`) end the message; a transient failure (4xx, network,
/// `api.notification.retry`, an action that threw) is retried with the outbox's backoff; a
/// permanent one (5xx, no provider) leaves it dead with its error.
struct EmailOutboxHandler: OutboxHandler {
    let email: EmailService
    let logger: Logger
    var kind: String { EmailService.outboxKind }

    func deliver(_ delivery: OutboxDelivery) async throws {
        let message = try delivery.payload.decoded(as: OutgoingEmail.self)
        switch try await email.deliver(message) {
        case .delivered:
            return
        case .dropped(let reason):
            logger.notice(
                "e-mail dropped by the custom-email-provider action",
                metadata: ["message_type": "\(message.messageType)", "id": "\(message.id)", "reason": "\(reason.prefix(1024))"])
        }
    }
}
