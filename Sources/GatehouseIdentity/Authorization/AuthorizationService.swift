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

    /// A new SSO session for a user who just authenticated, stored (with its cookie secret) only
    /// when the login completes.
    public func newSession(user: UserRecord, clientID: String) -> SessionRecord {
        let now = Timestamp.nowMillis()
        return SessionRecord(
            id: RandomIdentifier.token(byteCount: 16), user_id: user.user_id, connection: user.connection,
            authenticated_at: now, created_at: now, expires_at: now + Self.sessionLifetimeMillis, clients: [clientID])
    }

    /// The live session whose cookie carries `secret`.
    public func activeSession(secret: String?) async throws -> BrowserSession? {
        guard let secret, !secret.isEmpty else { return nil }
        let hash = SecretComparison.digest(secret)
        let record = try await storage.read { try await $0.sessions.active(secretHash: hash, now: Timestamp.nowMillis()) }
        return record.map { BrowserSession(record: $0, secret: secret) }
    }

    /// Completes a browser login in one transaction: a single-use code for `transaction` carrying
    /// what the post-login flow decided for the tokens, the session (stored when new, under the
    /// SHA-256 of `newSessionSecret`; otherwise updated with the client), the user's login and
    /// metadata, and the end of the transaction. Called by `LoginCompletion`.
    func issueCode(
        for transaction: LoginTransactionRecord, session: SessionRecord, newSessionSecret: String?, customization: TokenCustomization?,
        login: UserDirectory.LoginUpdate
    ) async throws -> String {
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
            if let newSessionSecret {
                try await repositories.sessions.insert(sessionToSave, secretHash: SecretComparison.digest(newSessionSecret))
            } else {
                try await repositories.sessions.update(sessionToSave)
            }
            try await UserDirectory.write(login, in: repositories)
            try await repositories.loginTransactions.delete(transaction.id)
        }
        return code
    }

    /// Logout: ends the session whose cookie carries `secret` (a cookie that names no live
    /// session ends nothing).
    public func endSession(secret: String?) async throws {
        guard let session = try await activeSession(secret: secret) else { return }
        try await storage.read { try await $0.sessions.revoke(session.record.id, at: Timestamp.nowMillis()) }
    }
}
