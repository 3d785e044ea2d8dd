import GatehouseCore
import GatehouseStorage

/// Starts, finds and ends dashboard sessions. A session lasts `lifetimeMillis` at most, and never
/// past its access token's expiry.
struct DashboardSessions: Sendable {
    static let lifetimeMillis: EpochMillis = 8 * 3600 * 1000

    let storage: Storage

    /// Stores a session for the operator and returns the cookie's secret.
    func start(
        userID: String, userName: String, ssoSessionID: String?, accessToken: String, scope: String, tokenExpiresAt: EpochMillis
    ) async throws -> (secret: String, session: DashboardSessionRecord) {
        let now = Timestamp.nowMillis()
        let secret = RandomIdentifier.token(byteCount: 32)
        let session = DashboardSessionRecord(
            id: RandomIdentifier.prefixed("dsh"), user_id: userID, user_name: userName, sso_session_id: ssoSessionID,
            csrf_token: RandomIdentifier.token(byteCount: 32), scope: scope, created_at: now,
            expires_at: min(now + Self.lifetimeMillis, tokenExpiresAt), access_token: accessToken)
        try await storage.read { try await $0.dashboardSessions.insert(session, secretHash: SecretComparison.digest(secret)) }
        return (secret, session)
    }

    func active(secret: String) async throws -> DashboardSessionRecord? {
        guard secret.count <= 256 else { return nil }
        return try await storage.read {
            try await $0.dashboardSessions.active(secretHash: SecretComparison.digest(secret), now: Timestamp.nowMillis())
        }
    }

    func end(_ id: String) async throws {
        try await storage.read { try await $0.dashboardSessions.delete(id: id) }
    }
}
