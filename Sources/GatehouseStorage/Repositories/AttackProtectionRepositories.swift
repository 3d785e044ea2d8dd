import GatehouseCore
import SQLKit

/// What one brute-force counter counts: consecutive failed password attempts at one connection
/// for one user (or, when nobody has that name, for what was typed), from one IP.
public struct LoginAttemptKey: Sendable, Equatable {
    public var connection: String
    /// What was typed to log in, lower-cased: shown in `GET /api/v2/user-blocks`.
    public var identifier: String
    /// The user `identifier` names, when one exists: attempts then count per user, whichever of
    /// their identifiers (email, username) is typed.
    public var userID: String?
    /// The client's IP; empty when counting per identifier only (Auth0's `count_per_identifier`).
    public var ip: String

    public init(connection: String, identifier: String, userID: String?, ip: String) {
        self.connection = connection
        self.identifier = identifier.lowercased()
        self.userID = userID
        self.ip = ip
    }

    var counterKey: String {
        [connection, userID.map { "user:" + $0 } ?? "identifier:" + identifier, ip].joined(separator: "\n")
    }
}

/// A counter that reached the limit: that IP (or every IP, when `ip` is empty) may not log in as
/// that user until the block is lifted.
public struct LoginBlockRecord: Sendable, Equatable {
    public var connection: String
    public var identifier: String
    public var userID: String?
    public var ip: String
    public var attempts: Int

    public init(connection: String, identifier: String, userID: String?, ip: String, attempts: Int) {
        self.connection = connection
        self.identifier = identifier
        self.userID = userID
        self.ip = ip
        self.attempts = attempts
    }
}

/// Brute-force counters (Auth0's Brute-force Protection). Each attempt is counted *before* the
/// password is checked, in one statement that returns the new count, so concurrent guesses each
/// see their own number and no more than the limit are ever checked.
public protocol LoginAttemptRepository: Sendable {
    /// Counts one more attempt for `key` and returns the count including it. A count still below
    /// `limit` whose last attempt is before `forgetBefore` starts again from 1.
    func reserve(_ key: LoginAttemptKey, limit: Int, forgetBefore: EpochMillis, at now: EpochMillis) async throws -> Int
    /// Forgets `key`'s count: the password was right.
    func reset(_ key: LoginAttemptKey) async throws
    /// The counters at `limit` or above of any of `userIDs`, or of any of `identifiers` (as typed,
    /// for names that belong to nobody).
    func blocks(userIDs: [String], identifiers: [String], limit: Int) async throws -> [LoginBlockRecord]
    /// Removes every counter of `userIDs` and `identifiers`: an unblock, a password reset, a
    /// deleted user.
    func clear(userIDs: [String], identifiers: [String]) async throws
    /// Bounds the table: counts below `limit` idle since before `idleBefore` go, and so do
    /// counters of names that belong to nobody, blocked or not.
    func purge(idleBefore: EpochMillis, limit: Int) async throws
}

struct SQLLoginAttemptRepository: LoginAttemptRepository {
    let db: any SQLDatabase

    func reserve(_ key: LoginAttemptKey, limit: Int, forgetBefore: EpochMillis, at now: EpochMillis) async throws -> Int {
        // One upsert: the row lock (PostgreSQL) or the single writer (SQLite) makes concurrent
        // reservations of one key see 1, 2, 3, … and never the same number twice.
        let row = try await db.raw(
            """
            INSERT INTO login_attempts (counter_key, connection, identifier, user_id, ip, attempts, updated_at)
            VALUES (\(bind: key.counterKey), \(bind: key.connection), \(bind: key.identifier), \(bind: key.userID), \(bind: key.ip), 1,
                CAST(\(bind: now) AS BIGINT))
            ON CONFLICT (counter_key) DO UPDATE SET
                attempts = CASE
                    WHEN login_attempts.attempts < CAST(\(bind: Int64(limit)) AS BIGINT)
                        AND login_attempts.updated_at < CAST(\(bind: forgetBefore) AS BIGINT) THEN 1
                    ELSE login_attempts.attempts + 1 END,
                identifier = excluded.identifier, updated_at = excluded.updated_at
            RETURNING attempts
            """
        ).first()
        return try row?.decode(column: "attempts", as: Int.self) ?? 1
    }

    func reset(_ key: LoginAttemptKey) async throws {
        try await db.delete(from: "login_attempts").where("counter_key", .equal, key.counterKey).run()
    }

    func blocks(userIDs: [String], identifiers: [String], limit: Int) async throws -> [LoginBlockRecord] {
        guard !userIDs.isEmpty || !identifiers.isEmpty else { return [] }
        let identifiers = identifiers.map { $0.lowercased() }
        return try await db.select().columns("connection", "identifier", "user_id", "ip", "attempts").from("login_attempts")
            .where("attempts", .greaterThanOrEqual, Int64(limit))
            .where(group: { group in
                if !userIDs.isEmpty { _ = group.orWhere("user_id", .in, userIDs) }
                if !identifiers.isEmpty {
                    _ = group.orWhere(group: { $0.where("user_id", .is, SQLLiteral.null).where("identifier", .in, identifiers) })
                }
                return group
            })
            .orderBy("updated_at", .descending).all()
            .map { row in
                LoginBlockRecord(
                    connection: try row.decode(column: "connection", as: String.self),
                    identifier: try row.decode(column: "identifier", as: String.self),
                    userID: try row.decode(column: "user_id", as: String?.self), ip: try row.decode(column: "ip", as: String.self),
                    attempts: try row.decode(column: "attempts", as: Int.self))
            }
    }

    func clear(userIDs: [String], identifiers: [String]) async throws {
        if !userIDs.isEmpty { try await db.delete(from: "login_attempts").where("user_id", .in, userIDs).run() }
        if !identifiers.isEmpty {
            try await db.delete(from: "login_attempts").where("user_id", .is, SQLLiteral.null)
                .where("identifier", .in, identifiers.map { $0.lowercased() }).run()
        }
    }

    func purge(idleBefore: EpochMillis, limit: Int) async throws {
        try await db.delete(from: "login_attempts").where("updated_at", .lessThan, idleBefore)
            .where(group: { $0.where("attempts", .lessThan, Int64(limit)).orWhere("user_id", .is, SQLLiteral.null) }).run()
    }
}

/// Suspicious-IP throttling: one bucket per stage (`pre-login`, `pre-user-registration`) and IP
/// holding `max_attempts` attempts, of which one comes back every `rate` milliseconds (Auth0's
/// stage settings). Stored as a level in milliseconds that drains one per millisecond.
public protocol IPThrottleRepository: Sendable {
    /// Takes one attempt from the bucket, atomically; `false` when it is empty (then nothing is
    /// taken, so the next attempt is granted as soon as the bucket refills by one).
    func take(stage: String, ip: String, maxAttempts: Int, rateMillis: Int64, at now: EpochMillis) async throws -> Bool
    /// Puts back an attempt `take` granted: it turned out not to count (a successful login).
    func giveBack(stage: String, ip: String, rateMillis: Int64) async throws
    /// Removes buckets that have drained completely by `now`.
    func purge(now: EpochMillis) async throws
}

struct SQLIPThrottleRepository: IPThrottleRepository {
    let db: any SQLDatabase

    func take(stage: String, ip: String, maxAttempts: Int, rateMillis: Int64, at now: EpochMillis) async throws -> Bool {
        let capacity = Int64(maxAttempts) * rateMillis
        // The level once drained to `now`, as SQL over the stored row.
        let drained: SQLQueryString = """
            (CASE WHEN ip_throttle.level - (CAST(\(bind: now) AS BIGINT) - ip_throttle.updated_at) > 0
                THEN ip_throttle.level - (CAST(\(bind: now) AS BIGINT) - ip_throttle.updated_at) ELSE 0 END)
            """
        let fits: SQLQueryString =
            "\(drained) + CAST(\(bind: rateMillis) AS BIGINT) <= CAST(\(bind: capacity) AS BIGINT)"
        let row = try await db.raw(
            """
            INSERT INTO ip_throttle (stage, ip, level, accepted, updated_at)
            VALUES (\(bind: stage), \(bind: ip), CAST(\(bind: rateMillis) AS BIGINT), 1, CAST(\(bind: now) AS BIGINT))
            ON CONFLICT (stage, ip) DO UPDATE SET
                level = CASE WHEN \(fits) THEN \(drained) + CAST(\(bind: rateMillis) AS BIGINT) ELSE \(drained) END,
                accepted = CASE WHEN \(fits) THEN 1 ELSE 0 END,
                updated_at = excluded.updated_at
            RETURNING accepted
            """
        ).first()
        return try (row?.decode(column: "accepted", as: Int.self) ?? 1) == 1
    }

    func giveBack(stage: String, ip: String, rateMillis: Int64) async throws {
        try await db.raw(
            """
            UPDATE ip_throttle SET level = CASE WHEN level > CAST(\(bind: rateMillis) AS BIGINT)
                THEN level - CAST(\(bind: rateMillis) AS BIGINT) ELSE 0 END
            WHERE stage = \(bind: stage) AND ip = \(bind: ip)
            """
        ).run()
    }

    func purge(now: EpochMillis) async throws {
        try await db.raw("DELETE FROM ip_throttle WHERE level + updated_at < CAST(\(bind: now) AS BIGINT)").run()
    }
}
