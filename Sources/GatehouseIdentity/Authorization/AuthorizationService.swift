import GatehouseCore
import GatehouseStorage

/// The interactive half of the authorization-code flow: sessions and codes.
public struct AuthorizationService: Sendable {
    /// SSO sessions last a week of inactivity-free time (Auth0's default absolute lifetime is 7 days).
    public static let sessionLifetimeMillis: EpochMillis = 7 * 24 * 3_600_000
    /// Codes are short-lived (RFC 6749 §4.1.2 recommends at most 10 minutes).
    public static let codeLifetimeMillis: EpochMillis = 60_000

    let storage: Storage

    public init(storage: Storage) {
        self.storage = storage
    }

    /// The connection a login for `transaction` authenticates against: the one it named, or the
    /// first database connection enabled for the client.
    public func connection(for transaction: LoginTransactionRecord) async throws -> ConnectionRecord? {
        try await storage.read { repositories in
            if let name = transaction.connection { return try await repositories.connections.get(name: name) }
            let all = try await repositories.connections.list(PageRequest(page: 0, perPage: 100)).items
            return all.first { $0.strategy == "auth0" && $0.enabled_clients.contains(transaction.client_id) }
        }
    }

    /// A session and the secret its cookie carries. The secret is never stored (only its
    /// SHA-256) and never leaves the cookie; the session's `id` is public (`sid`).
    public struct BrowserSession: Sendable {
        public var record: SessionRecord
        public var secret: String

        public init(record: SessionRecord, secret: String) {
            self.record = record
            self.secret = secret
        }
    }

    /// A new SSO session for a user who just authenticated, stored only when the login
    /// completes (`issueCode`).
    public func newSession(user: UserRecord, clientID: String) -> BrowserSession {
        let now = Timestamp.nowMillis()
        let record = SessionRecord(
            id: RandomIdentifier.token(byteCount: 16), user_id: user.user_id, connection: user.connection,
            authenticated_at: now, created_at: now, expires_at: now + Self.sessionLifetimeMillis, clients: [clientID])
        return BrowserSession(record: record, secret: RandomIdentifier.token(byteCount: 32))
    }

    /// The live session whose cookie carries `secret`.
    public func activeSession(secret: String?) async throws -> BrowserSession? {
        guard let secret, !secret.isEmpty else { return nil }
        let hash = SecretComparison.digest(secret)
        let record = try await storage.read { try await $0.sessions.active(secretHash: hash, now: Timestamp.nowMillis()) }
        return record.map { BrowserSession(record: $0, secret: secret) }
    }

    /// Completes a browser login in one transaction: a single-use code for `transaction` carrying
    /// what the post-login flow decided for the tokens, the session (stored when new, with the
    /// client recorded), the user's login and metadata, and the end of the transaction.
    public func issueCode(
        for transaction: LoginTransactionRecord, session browserSession: BrowserSession, isNewSession: Bool,
        customization: TokenCustomization?, login: UserDirectory.LoginUpdate
    ) async throws -> String {
        let session = browserSession.record
        let secretHash = SecretComparison.digest(browserSession.secret)
        let code = RandomIdentifier.token(byteCount: 32)
        let record = AuthorizationCodeRecord(
            client_id: transaction.client_id, user_id: session.user_id, redirect_uri: transaction.redirect_uri,
            scope: transaction.scope, audience: transaction.audience, nonce: transaction.nonce,
            code_challenge: transaction.code_challenge, code_challenge_method: transaction.code_challenge_method,
            session_id: session.id, auth_time: session.authenticated_at / 1000,
            expires_at: Timestamp.nowMillis() + Self.codeLifetimeMillis, customization: customization,
            redirect_uri_sent: transaction.query["redirect_uri"] != nil)
        var updatedSession = session
        if !updatedSession.clients.contains(transaction.client_id) { updatedSession.clients.append(transaction.client_id) }
        let sessionToSave = updatedSession
        try await storage.transaction { repositories in
            try await repositories.authorizationCodes.insert(codeHash: SecretComparison.digest(code), record)
            if isNewSession {
                try await repositories.sessions.insert(sessionToSave, secretHash: secretHash)
            } else {
                try await repositories.sessions.update(sessionToSave)
            }
            try await UserDirectory.write(login, in: repositories)
            try await repositories.loginTransactions.delete(transaction.id)
        }
        return code
    }

    /// Ends a browser login the post-login flow refused: the user's login and the metadata
    /// actions asked for are still written, the transaction ends, and `api.session.revoke`
    /// ends an existing session.
    public func refuse(
        _ transaction: LoginTransactionRecord, login: UserDirectory.LoginUpdate, revokingSession sessionID: String?
    ) async throws {
        try await storage.transaction { repositories in
            try await UserDirectory.write(login, in: repositories)
            if let sessionID { try await repositories.sessions.revoke(sessionID, at: Timestamp.nowMillis()) }
            try await repositories.loginTransactions.delete(transaction.id)
        }
    }

    /// Logout: ends the session whose cookie carries `secret` (a cookie that names no live
    /// session ends nothing).
    public func endSession(secret: String?) async throws {
        guard let session = try await activeSession(secret: secret) else { return }
        try await storage.read { try await $0.sessions.revoke(session.record.id, at: Timestamp.nowMillis()) }
    }
}
