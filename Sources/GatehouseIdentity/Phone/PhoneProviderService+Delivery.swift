import GatehouseCore
import GatehouseStorage
import Logging

/// Phone messages through the tenant's provider: checked and written to the outbox in the
/// request (with the code, in one transaction), delivered by the relay.
///
/// The code's life follows the message's (docs/SECURITY.md, "Phone codes through the outbox"):
/// it works from the moment it is stored, for its 5 minutes, through any number of retries; a
/// message that ends without being delivered — dropped by the action, refused for good, or
/// failed on its last attempt — takes its code with it, as a failed `send-phone-message` does.
/// A message whose code is no longer the authenticator's current one (a newer code was asked
/// for, or it was used, or it expired) is not sent at all.
extension PhoneProviderService {
    /// The outbox kind of phone messages.
    public static let outboxKind = "phone"

    /// Six attempts within two minutes, inside the code's five: Auth0's "retried up to 5 times
    /// over the following minutes" for `api.notification.retry` (`auth0-actions.md` §3.6). A
    /// code that arrives after it expired is worth nothing, so the relay's hour-long policy
    /// would be wrong here.
    public static let retryPolicy = OutboxRetryPolicy(backoff: [
        .seconds(2), .seconds(5), .seconds(15), .seconds(30), .seconds(60),
    ])

    /// The active provider when it can take a message by `method` (`text` or `voice`); `nil`
    /// when none is active (the MFA phone settings decide). Throws `MultifactorError` when the
    /// active provider cannot deliver here: Twilio (no network path to it), a method the provider
    /// is not configured for, no Actions, or no action bound to custom-phone-provider.
    func deliverable(method: String, configurationVersion: Int64) async throws -> PhoneProviderRecord? {
        guard let provider = try await active() else { return nil }
        guard provider.name == "custom" else {
            throw MultifactorError(
                .providerNotConfigured,
                "SMS codes cannot be sent: the tenant's phone provider is '\(provider.name)', which this server cannot reach."
                    + " Use a custom provider with a custom-phone-provider action (PATCH /api/v2/branding/phone/providers/\(provider.id)"
                    + " with name 'custom'), or disable it (disabled: true) to use the MFA phone settings.")
        }
        guard provider.deliveryMethods.contains(method) else {
            throw MultifactorError(
                .providerNotConfigured,
                "The tenant's phone provider does not deliver by \(method) (its configuration.delivery_methods is"
                    + " \(provider.deliveryMethods.joined(separator: ", "))); choose another method or add \(method) to it.")
        }
        guard let customProvider else {
            throw MultifactorError(
                .providerNotConfigured,
                "SMS codes cannot be sent: the phone provider is 'custom', but Actions are not running on this server.")
        }
        guard try await !customProvider.flows.bound(CustomPhoneProvider.trigger, configurationVersion: configurationVersion).isEmpty
        else {
            throw MultifactorError(
                .providerNotConfigured,
                "SMS codes cannot be sent: the tenant's phone provider is 'custom', but no action is bound to the"
                    + " custom-phone-provider trigger. Bind one (PATCH /api/v2/actions/triggers/custom-phone-provider/bindings)"
                    + " or disable the provider.")
        }
        return provider
    }

    /// The message for `code`, its secret parts sealed.
    func notification(
        messageType: String, method: String, recipient: String, provider: PhoneProviderRecord, secret: PhoneNotification.Secret,
        enrollment: MultifactorEnrollmentRecord, client: ClientRecord?, request: ActionEventRequest, now: EpochMillis,
        expiresAt: EpochMillis
    ) throws -> PhoneNotification {
        PhoneNotification(
            id: RandomIdentifier.hex(byteCount: 16), message_type: messageType, delivery_method: method, recipient: recipient,
            from: provider.defaultFrom, locale: "en", sealed: try storage.masterKey.seal(try JSONValue(encoding: secret).jsonText()),
            enrollment_id: enrollment.id, user_id: enrollment.user_id, client: client.map(EventParts.client),
            request: request.json(geoip: geoip), requested_at: now, expires_at: expiresAt)
    }

    /// Writes `notification` into the outbox within `repositories`' transaction.
    static func enqueue(_ notification: PhoneNotification, in repositories: Repositories) async throws {
        try await repositories.outbox.enqueue(
            OutboxMessage(
                kind: outboxKind, idempotencyKey: "phone:" + notification.id, payload: try JSONValue(encoding: notification)),
            now: notification.requested_at)
    }

    /// One delivery attempt (`attempt` from 1). Returns when the action delivered, or when there
    /// is nothing left to deliver (the code was replaced, used or purged); throws
    /// `PhoneDeliveryError` otherwise, after invalidating the code when this was the end.
    public func deliver(_ notification: PhoneNotification, attempt: Int, now: EpochMillis = Timestamp.nowMillis()) async throws
        -> PhoneDelivery?
    {
        let secret: PhoneNotification.Secret
        do {
            let text = try storage.masterKey.open(notification.sealed)
            guard let json = JSONValue(jsonText: text) else { throw PhoneDeliveryError(.permanent, "not JSON") }
            secret = try json.decoded(as: PhoneNotification.Secret.self)
        } catch {
            throw PhoneDeliveryError(.permanent, "The phone message cannot be opened with this server's master key; it is not sent.")
        }
        let codeHash = SecretComparison.digest(secret.code)
        let (current, provider, user, enrollments, version) = try await storage.read { repositories in
            (
                try await repositories.multifactor.code(enrollmentID: notification.enrollment_id),
                try await repositories.tenant.value(Self.setting).flatMap(Self.decode)?.record,
                try await repositories.users.get(notification.user_id),
                try await repositories.multifactor.enrollments(userID: notification.user_id),
                try await repositories.tenant.configurationVersion()
            )
        }
        guard let current, SecretComparison.equal(current.code_hash, codeHash) else {
            logger.notice(
                "phone message not sent: its code was replaced or used before delivery",
                metadata: ["id": "\(notification.id)", "attempt": "\(attempt)"])
            return nil
        }
        do {
            guard current.expires_at > now else {
                throw PhoneDeliveryError(.permanent, "The code expired before the message could be delivered; it is not sent.")
            }
            guard let provider, !provider.disabled, provider.name == "custom" else {
                throw PhoneDeliveryError(
                    .permanent,
                    "The tenant's phone provider is no longer an enabled custom provider; the \(notification.message_type) message"
                        + " is not sent.")
            }
            guard let customProvider else {
                throw PhoneDeliveryError(.permanent, "The phone provider is 'custom', but Actions are not running on this server.")
            }
            guard let user else { throw PhoneDeliveryError(.permanent, "The user no longer exists; the message is not sent.") }
            let connection = try await storage.read { try await $0.connections.get(name: user.connection) }
            let context = CustomPhoneProvider.Context(
                notification: .init(
                    messageType: notification.message_type, deliveryMethod: notification.delivery_method,
                    recipient: notification.recipient, from: notification.from, asText: secret.as_text, asVoice: secret.as_voice,
                    code: secret.code, locale: notification.locale),
                user: user, enrollments: enrollments, connection: connection, client: notification.client,
                request: notification.request, configurationVersion: version)
            let delivery = try await customProvider.run(context)
            logger.info(
                "phone message delivered",
                metadata: [
                    "id": "\(notification.id)", "message_type": "\(notification.message_type)", "attempt": "\(attempt)",
                    "lag_ms": "\(Timestamp.nowMillis() - notification.requested_at)", "execution": "\(delivery.executionID)",
                ])
            return delivery
        } catch let error as PhoneDeliveryError {
            if error.isPermanent || attempt >= Self.retryPolicy.maxAttempts {
                // Not delivered, and never will be: the code must not stay usable.
                _ = try? await storage.transaction {
                    try await $0.multifactor.consumeCode(enrollmentID: notification.enrollment_id, codeHash: codeHash)
                }
            }
            throw error
        }
    }
}

/// Delivers the outbox's phone messages through `PhoneProviderService.deliver`, with the phone
/// retry policy: a `retry`, a throw or a timeout is tried again (at most 6 attempts in about
/// two minutes); a `drop` or a permanent refusal leaves the row dead with its reason.
struct PhoneOutboxHandler: OutboxHandler {
    let phone: PhoneProviderService
    var kind: String { PhoneProviderService.outboxKind }
    var retryPolicy: OutboxRetryPolicy? { PhoneProviderService.retryPolicy }

    func deliver(_ delivery: OutboxDelivery) async throws {
        let notification = try delivery.payload.decoded(as: PhoneNotification.self)
        _ = try await phone.deliver(notification, attempt: delivery.attempt)
    }
}
