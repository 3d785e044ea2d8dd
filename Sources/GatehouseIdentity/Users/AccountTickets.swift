import Foundation
import GatehouseCore
import GatehouseStorage

/// Single-use links for acting on an account without logging in (Auth0: "Change Users'
/// Passwords", "Verify Emails"; Management API `POST /tickets/password-change` and
/// `/tickets/email-verification`): a password-change ticket opens the hosted reset page, an
/// email-verification ticket the hosted verification page. The link carries 256 random bits;
/// only their SHA-256 is stored, and a ticket works once, until it expires.
public struct AccountTickets: Sendable {
    /// Auth0's default ticket lifetime: 5 days (`ttl_sec` 0 or absent).
    public static let defaultLifetimeSeconds = 432_000
    /// The longest `ttl_sec` Auth0 accepts: 30 days.
    public static let maximumLifetimeSeconds = 2_592_000

    let storage: Storage
    let users: UserDirectory
    /// The issuer URL the links start with (ends with `/`).
    let issuer: String
    /// `password-reset-post-challenge`; `nil` without Actions.
    let postChallenge: PasswordResetPostChallenge?
    let multifactor: MultifactorService
    /// `post-change-password`, enqueued with the new password.
    let asyncTriggers: AsyncTriggers

    /// Why a ticket cannot be used; each is shown to the person as a page.
    public enum Failure: Error, Equatable, Sendable {
        case unknown
        case expired
        case used
        /// The user was deleted or blocked since the ticket was made.
        case userGone
    }

    /// A ticket someone opened: the ticket, its user and its application.
    public struct Opened: Sendable {
        public let ticket: AccountTicketRecord
        public let user: UserRecord
        public let client: ClientRecord?
    }

    /// Makes a ticket and returns its link (`ticket` in Auth0's answer).
    public func issue(
        _ kind: AccountTicketRecord.Kind, userID: String, clientID: String? = nil, resultURL: String? = nil,
        lifetimeSeconds: Int? = nil, markEmailAsVerified: Bool = false, includeEmailInRedirect: Bool = false
    ) async throws -> String {
        let prepared = prepare(
            kind, userID: userID, clientID: clientID, resultURL: resultURL, lifetimeSeconds: lifetimeSeconds,
            markEmailAsVerified: markEmailAsVerified, includeEmailInRedirect: includeEmailInRedirect)
        try await storage.read { try await prepared.insert(in: $0) }
        return prepared.link
    }

    /// A ticket not stored yet, and its link: a flow that e-mails the link stores the ticket in
    /// the transaction that enqueues the e-mail.
    public struct Prepared: Sendable {
        public let link: String
        let tokenHash: String
        let record: AccountTicketRecord

        public func insert(in repositories: Repositories) async throws {
            try await repositories.accountTickets.insert(tokenHash: tokenHash, record)
        }
    }

    public func prepare(
        _ kind: AccountTicketRecord.Kind, userID: String, clientID: String? = nil, resultURL: String? = nil,
        lifetimeSeconds: Int? = nil, markEmailAsVerified: Bool = false, includeEmailInRedirect: Bool = false
    ) -> Prepared {
        let token = RandomIdentifier.token(byteCount: 32)
        let now = Timestamp.nowMillis()
        let seconds = lifetimeSeconds.flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultLifetimeSeconds
        let ticket = AccountTicketRecord(
            kind: kind, user_id: userID, client_id: clientID, result_url: resultURL, mark_email_as_verified: markEmailAsVerified,
            include_email_in_redirect: includeEmailInRedirect, created_at: now, expires_at: now + EpochMillis(seconds) * 1000)
        return Prepared(
            link: Self.link(issuer: issuer, kind: kind, token: token), tokenHash: SecretComparison.digest(token), record: ticket)
    }

    static func link(issuer: String, kind: AccountTicketRecord.Kind, token: String) -> String {
        let path = kind == .passwordChange ? "u/reset-password" : "u/email-verification"
        return issuer + path + "?ticket=" + token
    }

    /// The live ticket `token` names, of `kind`, with its user (not blocked) and application.
    public func open(_ token: String?, kind: AccountTicketRecord.Kind) async throws -> Opened {
        guard let token, !token.isEmpty, token.utf8.count <= 256 else { throw Failure.unknown }
        let hash = SecretComparison.digest(token)
        let found = try await storage.read { try await $0.accountTickets.find(tokenHash: hash, now: Timestamp.nowMillis()) }
        let ticket: AccountTicketRecord
        switch found {
        case .unknown: throw Failure.unknown
        case .expired: throw Failure.expired
        case .used: throw Failure.used
        case .live(let live): ticket = live
        }
        guard ticket.kind == kind else { throw Failure.unknown }
        let (user, client) = try await storage.read { repositories in
            (
                try await repositories.users.get(ticket.user_id),
                try await ticket.client_id.asyncMap { try await repositories.clients.get($0) }
            )
        }
        guard let user, !user.blocked else { throw Failure.userGone }
        return Opened(ticket: ticket, user: user, client: client ?? nil)
    }

    /// Sets a new password with a password-change ticket: the connection's policy first (a
    /// refused password leaves the ticket usable), then, in one transaction, the ticket used,
    /// the hash stored (brute-force blocks lifted, history kept) and, when the ticket says so,
    /// the e-mail marked verified. Returns where the browser goes (`nil`: a page says it worked).
    public func resetPassword(_ token: String?, to password: String, request: ActionEventRequest? = nil) async throws
        -> (user: UserRecord, redirect: String?)
    {
        let opened = try await open(token, kind: .passwordChange)
        let challenge = passedChallenge(opened.ticket)
        guard challenge.passed else {
            throw ChallengeFailure.failed("This password reset is not cleared to go on yet. Open the link again.")
        }
        let hash = try await users.hashForNewPassword(password, of: opened.user)
        let tokenHash = SecretComparison.digest(token ?? "")
        let announce = try await asyncTriggers.isBound(PostChangePassword.trigger)
        let tenantName = asyncTriggers.tenantName
        let user = try await storage.transaction { repositories -> UserRecord in
            guard let ticket = try await repositories.accountTickets.use(tokenHash: tokenHash, now: Timestamp.nowMillis()),
                var user = try await repositories.users.get(ticket.user_id)
            else { throw Failure.used }
            if ticket.mark_email_as_verified { user.email_verified = true }
            try await UserDirectory.storeNewPassword(hash, for: &user, in: repositories)
            try await repositories.users.update(user)
            if announce {
                try await PostChangePassword.enqueue(user: user, request: request, tenantName: tenantName, in: repositories)
            }
            return user
        }
        if announce { asyncTriggers.committed() }
        var ticket = opened.ticket
        if let chosen = challenge.resultURL { ticket.result_url = chosen }
        return (user, Self.result(ticket, user: user, message: "You can now login to the application with the new password."))
    }

    /// Marks the e-mail verified with an email-verification ticket (once). Returns where the
    /// browser goes (`nil`: a page says it worked).
    public func verifyEmail(_ token: String?) async throws -> (user: UserRecord, redirect: String?) {
        let opened = try await open(token, kind: .emailVerification)
        let tokenHash = SecretComparison.digest(token ?? "")
        let user = try await storage.transaction { repositories -> UserRecord in
            guard let ticket = try await repositories.accountTickets.use(tokenHash: tokenHash, now: Timestamp.nowMillis()),
                var user = try await repositories.users.get(ticket.user_id)
            else { throw Failure.used }
            user.email_verified = true
            user.updated_at = Timestamp.iso8601(Timestamp.nowMillis())
            try await repositories.users.update(user)
            return user
        }
        return (
            user,
            Self.result(
                opened.ticket, user: user, message: "Your email was verified. You can continue using the application.")
        )
    }

    /// Auth0's redirect to `result_url`: `success=true`, the message, and the e-mail when asked.
    static func result(_ ticket: AccountTicketRecord, user: UserRecord, message: String) -> String? {
        guard let target = ticket.result_url, var components = URLComponents(string: target) else { return nil }
        var items = components.queryItems ?? []
        items.append(URLQueryItem(name: "success", value: "true"))
        items.append(URLQueryItem(name: "message", value: message))
        if ticket.include_email_in_redirect, let email = user.email { items.append(URLQueryItem(name: "email", value: email)) }
        components.queryItems = items
        return components.string
    }
}

extension Optional {
    /// `map` for an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
