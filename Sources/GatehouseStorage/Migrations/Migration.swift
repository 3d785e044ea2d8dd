import Foundation
import Logging
import SQLKit

/// One numbered, forward-only schema change. Statements are written in the SQL subset SQLite and
/// PostgreSQL share (TEXT, BIGINT, BOOLEAN, composite keys), so one list serves both engines.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]
}

extension GatehouseDatabase {
    /// Applies every migration newer than the database's recorded version, each in its own
    /// transaction together with its bookkeeping row, so a crash never leaves a half-applied step.
    public func migrate(logger: Logger) async throws {
        try await read { db in
            try await db.raw(
                """
                CREATE TABLE IF NOT EXISTS gatehouse_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)
                """
            ).run()
        }
        let applied = try await read { db in
            try await db.select().column("version").from("gatehouse_migrations").all()
                .map { try $0.decode(column: "version", as: Int.self) }
        }
        for migration in Migration.all where !applied.contains(migration.version) {
            logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            try await transaction { db in
                for statement in migration.statements {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.insert(into: "gatehouse_migrations")
                    .columns("version", "name", "applied_at")
                    .values(SQLBind(migration.version), SQLBind(migration.name), SQLBind(Int64(Date().timeIntervalSince1970)))
                    .run()
            }
        }
    }
}
