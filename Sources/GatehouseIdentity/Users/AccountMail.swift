import GatehouseCore
import GatehouseStorage
import Logging

/// The e-mails of an account's life (Auth0 "Customize Email Templates", "Verify Emails",
/// "Change Users' Passwords"): the password-reset link (`POST /dbconnections/change_password`,
/// the hosted "Forgot password?" page), the verification link at sign-up and on demand
/// (`POST /api/v2/jobs/verification-email`), and the welcome e-mail. Each message is composed in
/// the request and written to the outbox in the transaction that stores its ticket; the relay
/// delivers it after the commit. Nothing is sent while no enabled e-mail provider is configured.
public struct AccountMail: Sendable {
    let storage: Storage
    let email: EmailService
    let tickets: AccountTickets
    let relay: OutboxRelay
    let logger: Logger

    /// Reset e-mails for one user: 3 at once, then one more every 5 minutes (each lands in a
    /// real mailbox; a stranger who knows the address must not flood it).
    static let resetLimit = 3
    static let resetRefillMillis: Int64 = 300_000

    /// `POST /dbconnections/change_password`: e-mails a reset link when `address` names a user of
    /// `connection` who is not blocked, within the per-user limit. The caller answers the same
    /// whatever happened (Auth0 never says whether the address exists).
    public func sendPasswordReset(
        to address: String, connection: String, client: ClientRecord?, request: ActionEventRequest?
    ) async throws {
        guard try await email.canDeliver(),
            let user = try await storage.read({ try await $0.users.find(connection: connection, login: address.lowercased()) }),
            !user.blocked, user.email != nil
        else { return }
        let granted = try await storage.transaction {
            try await $0.ipThrottle.take(
                stage: "reset-email", ip: "user:" + user.user_id, maxAttempts: Self.resetLimit, rateMillis: Self.resetRefillMillis,
                at: Timestamp.nowMillis())
        }
        guard granted else {
            logger.notice("password-reset e-mail not sent: too many for this user", metadata: ["user_id": "\(user.user_id)"])
            return
        }
        let template = try await template(.resetEmail)
        let ticket = tickets.prepare(
            .passwordChange, userID: user.user_id, clientID: client?.client_id, resultURL: template?.resultUrl,
            lifetimeSeconds: template?.urlLifetimeInSeconds, includeEmailInRedirect: template?.includeEmailInRedirect ?? false)
        try await send(
            EmailRequest(template: .resetEmail, user: user, client: client, url: ticket.link, request: request), ticket: ticket)
    }

    /// A verification link for `user` (`POST /api/v2/jobs/verification-email`): the message's
    /// id (`verificationJob` finds it again), or `nil` when nothing was sent (no provider, the
    /// template disabled, no address).
    public func sendVerification(to user: UserRecord, client: ClientRecord?, request: ActionEventRequest?) async throws -> String? {
        guard try await email.canDeliver(), user.email != nil else { return nil }
        let template = try await template(.verifyEmail)
        let ticket = tickets.prepare(
            .emailVerification, userID: user.user_id, clientID: client?.client_id, resultURL: template?.resultUrl,
            lifetimeSeconds: template?.urlLifetimeInSeconds, includeEmailInRedirect: template?.includeEmailInRedirect ?? false)
        return try await send(
            EmailRequest(template: .verifyEmail, user: user, client: client, url: ticket.link, request: request), ticket: ticket)
    }

    /// What a new user is sent, written in the transaction that inserts the user
    /// (`UserDirectory.register(writes:)`), so a crash after the commit loses none of it and a
    /// refused sign-up sends nothing: the verification link when `verify` (by default, when the
    /// address is not verified yet), and the welcome e-mail when `welcome` and the tenant enabled
    /// it (Auth0's default: disabled). A message that cannot be composed (a broken template) is
    /// left out and said in the log: the sign-up goes on.
    public func newUserWrites(
        client: ClientRecord?, request: ActionEventRequest?, verify: Bool? = nil, welcome: Bool
    ) -> @Sendable (UserRecord) async -> UserDirectory.RegistrationWrites? {
        { user in
            var messages: [(OutgoingEmail, AccountTickets.Prepared?)] = []
            do {
                guard try await email.canDeliver(), user.email != nil else { return nil }
                if verify ?? !user.email_verified {
                    let template = try await template(.verifyEmail)
                    let ticket = tickets.prepare(
                        .emailVerification, userID: user.user_id, clientID: client?.client_id, resultURL: template?.resultUrl,
                        lifetimeSeconds: template?.urlLifetimeInSeconds, includeEmailInRedirect: template?.includeEmailInRedirect ?? false)
                    let request = EmailRequest(template: .verifyEmail, user: user, client: client, url: ticket.link, request: request)
                    if let message = try await email.compose(request) { messages.append((message, ticket)) }
                }
                if welcome,
                    let message = try await email.compose(
                        EmailRequest(template: .welcomeEmail, user: user, client: client, request: request))
                {
                    messages.append((message, nil))
                }
            } catch {
                logger.warning(
                    "sign-up e-mail not sent", metadata: ["user_id": "\(user.user_id)", "error": "\(OutboxRetryPolicy.errorText(error))"])
            }
            guard !messages.isEmpty else { return nil }
            let relay = relay
            let composed = messages
            return UserDirectory.RegistrationWrites(
                write: { repositories in
                    for (message, ticket) in composed {
                        try await ticket?.insert(in: repositories)
                        try await EmailService.enqueue(message, in: repositories)
                    }
                },
                committed: { relay.wake() })
        }
    }

    /// The tenant's template, or the built-in default: its link's lifetime and `resultUrl`.
    private func template(_ name: EmailTemplateName) async throws -> EmailTemplateRecord? {
        try await storage.read { try await $0.email.template(name.rawValue) } ?? EmailTemplateDefaults.template(name)
    }

    /// Where a verification e-mail sent by `sendVerification` stands (Auth0's job `status`):
    /// `pending` before its first attempt, `processing` while it is retried, `completed` once
    /// delivered, `failed` when given up; `nil` when no such e-mail is in the outbox (never
    /// sent, another kind of message, or purged after delivery).
    public func verificationJob(_ messageID: String) async throws -> (status: String, createdAt: EpochMillis)? {
        guard let row = try await storage.read({ try await $0.outbox.find(idempotencyKey: EmailService.idempotencyKey(messageID)) }),
            row.message.kind == EmailService.outboxKind,
            row.message.payload["messageType"] == .string(EmailTemplateName.verifyEmail.rawValue)
        else { return nil }
        let status =
            switch row.state {
            case .pending: row.attempts == 0 ? "pending" : "processing"
            case .delivered: "completed"
            case .dead: "failed"
            }
        return (status, row.createdAt)
    }

    /// Composes `request` and writes it to the outbox with its ticket, in one transaction; the
    /// message's id, or `nil` when the template is disabled.
    @discardableResult
    private func send(_ request: EmailRequest, ticket: AccountTickets.Prepared?) async throws -> String? {
        guard let message = try await email.compose(request) else { return nil }
        try await storage.transaction { repositories in
            try await ticket?.insert(in: repositories)
            try await EmailService.enqueue(message, in: repositories)
        }
        relay.wake()
        return message.id
    }
}
