@preconcurrency import AsyncKit
import Foundation
import GatehouseCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit

/// The one place that knows which database engine is behind the repositories.
///
/// SQLite (the zero-set-up default) is served by a single connection on its own event loop: SQLite
/// allows one writer at a time anyway, and one connection means no `SQLITE_BUSY` under load and an
/// in-memory database that every request sees. PostgreSQL gets a real pool.
///
/// Rule for callers: inside `transaction { db in … }` use only `db`; asking the pool for another
/// connection there would wait for the one the transaction holds.
public final class GatehouseDatabase: Sendable {
    public enum Engine: String, Sendable {
        case sqlite
        case postgres
    }

    public let engine: Engine
    private let pool: any SQLConnectionPool
    private let logger: Logger

    public enum Failure: Error, CustomStringConvertible {
        case unsupportedURL(String)

        public var description: String {
            switch self {
            case .unsupportedURL(let url):
                "unsupported database URL \(url): use sqlite:///absolute/path.sqlite, sqlite://./relative.sqlite, sqlite::memory: or postgres://user:pass@host:port/db"
            }
        }
    }

    /// Opens (but does not migrate) the database named by `url`.
    public init(url: String, logger: Logger) throws {
        self.logger = logger
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            self.engine = .sqlite
            self.pool = SQLitePool(storage: .memory, logger: logger)
        } else if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw Failure.unsupportedURL(url) }
            self.engine = .sqlite
            self.pool = SQLitePool(storage: .file(path: path), logger: logger)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") || url.hasPrefix("postgres+") {
            var configuration = try SQLPostgresConfiguration(
                url: url.replacingOccurrences(of: "postgresql://", with: "postgres://"))
            if !url.contains("tlsmode=") { configuration.coreConfiguration.tls = .disable }
            self.engine = .postgres
            self.pool = PostgresPool(configuration: configuration, logger: logger)
        } else {
            throw Failure.unsupportedURL(url)
        }
    }

    /// The file path of a SQLite database URL (for the key file beside it), `nil` otherwise.
    public static func sqliteFilePath(of url: String) -> String? {
        guard url.hasPrefix("sqlite://"), !url.contains(":memory:") else { return nil }
        return String(url.dropFirst("sqlite://".count))
    }

    /// Runs `body` on one connection, outside any transaction.
    public func read<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await pool.withConnection(body)
    }

    /// Runs `body` in one database transaction: all of its writes land together or none does.
    /// Never call user code, HTTP or a sandbox from inside `body`.
    public func transaction<R: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> R
    ) async throws -> R {
        let begin = engine == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await pool.withConnection { db in
            try await db.raw(SQLQueryString(begin)).run()
            do {
                let result = try await body(db)
                try await db.raw("COMMIT").run()
                return result
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// `true` when a trivial query answers: what `/readyz` reports.
    public func isReachable() async -> Bool {
        do {
            return try await read { db in
                try await db.raw("SELECT 1 AS ok").first() != nil
            }
        } catch {
            logger.warning("database not reachable", metadata: ["error": "\(error)"])
            return false
        }
    }

    public func shutdown() async {
        await pool.shutdown()
    }
}

/// A pool of connections that hands out `SQLDatabase`s.
protocol SQLConnectionPool: Sendable {
    func withConnection<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R
    func shutdown() async
}

// `EventLoopGroupConnectionPool` guards its state with a lock; it predates `Sendable`.
private struct SQLitePool: SQLConnectionPool, @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<BusyTimeoutSQLiteSource>
    let group: MultiThreadedEventLoopGroup

    init(storage: SQLiteConfiguration.Storage, logger: Logger) {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.pool = EventLoopGroupConnectionPool(
            source: BusyTimeoutSQLiteSource(base: SQLiteConnectionSource(configuration: .init(storage: storage))),
            maxConnectionsPerEventLoop: 1,
            requestTimeout: .seconds(30),
            pruneInterval: nil,
            logger: logger,
            on: group
        )
    }

    func withConnection<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await pool.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { try await body(connection.sql(queryLogLevel: nil)) }
        }.get()
    }

    func shutdown() async {
        try? await pool.shutdownAsync()
        try? await group.shutdownGracefully()
    }
}

/// Opens SQLite connections with the settings a server needs: WAL for readers beside the writer,
/// and a busy timeout so another process (the CLI) holding the lock briefly is waited for.
private struct BusyTimeoutSQLiteSource: ConnectionPoolSource {
    let base: SQLiteConnectionSource

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        base.makeConnection(logger: logger, on: eventLoop).flatMap { connection in
            connection.query("PRAGMA busy_timeout = 5000").flatMap { _ in
                connection.query("PRAGMA journal_mode = WAL")
            }.map { _ in connection }
        }
    }
}

private struct PostgresPool: SQLConnectionPool, @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>

    init(configuration: SQLPostgresConfiguration, logger: Logger) {
        self.pool = EventLoopGroupConnectionPool(
            source: PostgresConnectionSource(sqlConfiguration: configuration),
            maxConnectionsPerEventLoop: 4,
            requestTimeout: .seconds(30),
            pruneInterval: .seconds(60),
            logger: logger,
            on: MultiThreadedEventLoopGroup.singleton
        )
    }

    func withConnection<R: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await pool.withConnection { connection in
            connection.eventLoop.makeFutureWithTask { try await body(connection.sql(queryLogLevel: nil)) }
        }.get()
    }

    func shutdown() async {
        try? await pool.shutdownAsync()
    }
}
