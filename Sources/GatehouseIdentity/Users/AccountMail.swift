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

    /// A verification link for `user` (at sign-up, or `POST /api/v2/jobs/verification-email`).
    /// `false` when nothing was sent (no provider, the template disabled, no address).
    @discardableResult
    public func sendVerification(to user: UserRecord, client: ClientRecord?, request: ActionEventRequest?) async throws -> Bool {
        guard try await email.canDeliver(), user.email != nil else { return false }
        let template = try await template(.verifyEmail)
        let ticket = tickets.prepare(
            .emailVerification, userID: user.user_id, clientID: client?.client_id, resultURL: template?.resultUrl,
            lifetimeSeconds: template?.urlLifetimeInSeconds, includeEmailInRedirect: template?.includeEmailInRedirect ?? false)
        return try await send(
            EmailRequest(template: .verifyEmail, user: user, client: client, url: ticket.link, request: request), ticket: ticket)
    }

    /// What a sign-up sends: the verification link when the address is not verified yet, and
    /// the welcome e-mail when the tenant enabled it (Auth0's default: disabled).
    public func sendSignupMail(to user: UserRecord, client: ClientRecord?, request: ActionEventRequest?) async {
        do {
            if !user.email_verified { try await sendVerification(to: user, client: client, request: request) }
            guard try await email.canDeliver() else { return }
            try await send(EmailRequest(template: .welcomeEmail, user: user, client: client, request: request), ticket: nil)
        } catch {
            // The sign-up happened; a message that cannot be made is the tenant's configuration
            // to fix, said in the log.
            logger.warning(
                "sign-up e-mail not sent", metadata: ["user_id": "\(user.user_id)", "error": "\(OutboxRetryPolicy.errorText(error))"])
        }
    }

    /// The tenant's template, or the built-in default: its link's lifetime and `resultUrl`.
    private func template(_ name: EmailTemplateName) async throws -> EmailTemplateRecord? {
        try await storage.read { try await $0.email.template(name.rawValue) } ?? EmailTemplateDefaults.template(name)
    }

    /// Composes `request` and writes it to the outbox with its ticket, in one transaction;
    /// `false` when the template is disabled.
    @discardableResult
    private func send(_ request: EmailRequest, ticket: AccountTickets.Prepared?) async throws -> Bool {
        guard let message = try await email.compose(request) else { return false }
        try await storage.transaction { repositories in
            try await ticket?.insert(in: repositories)
            try await EmailService.enqueue(message, in: repositories)
        }
        relay.wake()
        return true
    }
}
