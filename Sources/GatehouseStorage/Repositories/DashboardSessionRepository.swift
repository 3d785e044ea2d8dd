import GatehouseCore
import SQLKit

/// The dashboard's sessions (`DashboardSessionRecord`), looked up by the SHA-256 of the cookie's
/// secret, with the access token sealed by the master key.
public protocol DashboardSessionRepository: Sendable {
    func insert(_ session: DashboardSessionRecord, secretHash: String) async throws
    /// The session whose cookie secret has this digest, if it has not expired at `now`.
    func active(secretHash: String, now: EpochMillis) async throws -> DashboardSessionRecord?
    func delete(id: String) async throws
    /// Deletes the sessions that expired before `before`.
    func purge(expiredBefore before: EpochMillis) async throws
}

struct SQLDashboardSessionRepository: DashboardSessionRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    func insert(_ session: DashboardSessionRecord, secretHash: String) async throws {
        let sealed = try masterKey.seal(session.access_token)
        try await db.insertUnique("dashboard session \(session.id)") { db in
            db.insert(into: "dashboard_sessions")
                .columns("id", "secret_hash", "user_id", "document", "sealed_access_token", "created_at", "expires_at")
                .values(
                    SQLBind(session.id), SQLBind(secretHash), SQLBind(session.user_id),
                    SQLBind((try? DocumentCoding.encode(session)) ?? "{}"),
                    SQLBind(sealed), SQLBind(session.created_at), SQLBind(session.expires_at))
        }
    }

    func active(secretHash: String, now: EpochMillis) async throws -> DashboardSessionRecord? {
        guard
            let row = try await db.select().columns("id", "document", "sealed_access_token").from("dashboard_sessions")
                .where("secret_hash", .equal, secretHash).where("expires_at", .greaterThan, now).first()
        else { return nil }
        let id = try row.decode(column: "id", as: String.self)
        var session = try DocumentCoding.decode(DashboardSessionRecord.self, from: row, table: "dashboard_sessions", id: id)
        session.access_token = try masterKey.open(try row.decode(column: "sealed_access_token", as: String.self))
        return session
    }

    func delete(id: String) async throws {
        try await db.delete(from: "dashboard_sessions").where("id", .equal, id).run()
    }

    func purge(expiredBefore before: EpochMillis) async throws {
        try await db.delete(from: "dashboard_sessions").where("expires_at", .lessThan, before).run()
    }
}
