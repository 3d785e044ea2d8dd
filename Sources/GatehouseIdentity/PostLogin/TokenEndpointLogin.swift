import GatehouseCore
import GatehouseStorage

/// The end of a login at the token endpoint (`password`, `password-realm`, `refresh_token`):
/// the post-login flow, then one transaction with everything the login writes.
struct TokenEndpointLogin: Sendable {
    let storage: Storage
    let postLogin: PostLoginFlow?

    /// The decision for `context` once the login and the flow's metadata are written. A
    /// refusal still writes the login and the metadata actions asked for before it (Auth0 keeps
    /// those side effects), applies `session.revoke` / `refreshToken.revoke`, and is thrown as
    /// HTTP 403 `access_denied`.
    func complete(_ context: PostLoginContext, countsAsLogin: Bool) async throws -> PostLoginDecision {
        let userID = context.user.user_id
        let ip = context.request.ip
        let decision: PostLoginDecision
        do {
            decision = try await postLogin?.run(context) ?? .none
        } catch let refusal as PostLoginRefusal {
            let update = UserDirectory.LoginUpdate(userID: userID, ip: ip, countsAsLogin: countsAsLogin, metadata: refusal.metadata)
            let refreshToken = refusal.revokesRefreshToken ? context.refreshToken : nil
            let session = refusal.revokesSession ? context.sessionID : nil
            try await storage.transaction { repositories in
                try await UserDirectory.write(update, in: repositories)
                let now = Timestamp.nowMillis()
                if let refreshToken { try await repositories.refreshTokens.revoke(id: refreshToken.id, at: now) }
                if let session { try await repositories.sessions.revoke(session, at: now) }
            }
            throw refusal.error
        }
        let update = UserDirectory.LoginUpdate(userID: userID, ip: ip, countsAsLogin: countsAsLogin, metadata: decision.metadata)
        if !update.isEmpty {
            _ = try await storage.transaction { try await UserDirectory.write(update, in: $0) }
        }
        return decision
    }
}
