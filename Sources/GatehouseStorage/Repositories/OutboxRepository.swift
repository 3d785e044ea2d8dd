import GatehouseCore
import SQLKit

/// The outbox: messages written in the transaction of the change they report, claimed and
/// delivered by the relays of every instance sharing the database.
///
/// Claiming is one statement: the due rows are chosen and leased together, and on PostgreSQL
/// with `FOR UPDATE SKIP LOCKED`, so concurrent relays get disjoint rows; a claim's lease
/// lapses on its own, so the rows of an instance that crashed are taken over. Every outcome is
/// fenced by the claim (owner and attempt): a relay that lost its lease cannot overwrite the
/// outcome of the relay that took the row over.
public protocol OutboxRepository: Sendable {
    /// Stores `message` as pending and due at `now`; `false` (and nothing written) when a row
    /// with its idempotency key exists already.
    @discardableResult
    func enqueue(_ message: OutboxMessage, now: EpochMillis) async throws -> Bool
    /// Leases at most `limit` due rows (pending, `next_attempt_at` passed, no live lease) to
    /// `owner` until `leaseUntil`, counting one attempt on each; oldest due first.
    func claim(owner: String, limit: Int, now: EpochMillis, leaseUntil: EpochMillis) async throws -> [OutboxClaim]
    /// Marks a claimed row delivered; `false` when the claim no longer holds it.
    @discardableResult
    func markDelivered(_ claim: OutboxClaim, at: EpochMillis) async throws -> Bool
    /// Records a failed attempt: due again at `retryAt`, or dead when `retryAt` is `nil`. The
    /// error is kept either way; `false` when the claim no longer holds the row.
    @discardableResult
    func markFailed(_ claim: OutboxClaim, error: String, retryAt: EpochMillis?, at: EpochMillis) async throws -> Bool
    func get(_ id: String) async throws -> OutboxRecord?
    func find(idempotencyKey: String) async throws -> OutboxRecord?
    /// How many rows are in each state.
    func counts() async throws -> [OutboxRecord.State: Int]
    /// Deletes rows delivered before `deliveredBefore` and rows dead since before `deadBefore`.
    func purge(deliveredBefore: EpochMillis, deadBefore: EpochMillis) async throws
}

struct SQLOutboxRepository: OutboxRepository {
    let db: any SQLDatabase

    static let columns = [
        "id", "kind", "idempotency_key", "payload", "state", "attempts", "created_at", "next_attempt_at", "leased_by", "leased_until",
        "delivered_at", "dead_at", "last_error",
    ]

    static func record(_ row: any SQLRow) throws -> OutboxRecord {
        let id = try row.decode(column: "id", as: String.self)
        guard let state = OutboxRecord.State(rawValue: try row.decode(column: "state", as: String.self)),
            let payload = JSONValue(jsonText: try row.decode(column: "payload", as: String.self))
        else { throw StorageError.corruptDocument(table: "outbox", id: id) }
        return OutboxRecord(
            id: id,
            message: OutboxMessage(
                kind: try row.decode(column: "kind", as: String.self),
                idempotencyKey: try row.decode(column: "idempotency_key", as: String.self), payload: payload),
            state: state, attempts: try row.decode(column: "attempts", as: Int.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Int64.self),
            leasedBy: try row.decode(column: "leased_by", as: String?.self),
            leasedUntil: try row.decode(column: "leased_until", as: Int64?.self),
            deliveredAt: try row.decode(column: "delivered_at", as: Int64?.self),
            deadAt: try row.decode(column: "dead_at", as: Int64?.self),
            lastError: try row.decode(column: "last_error", as: String?.self))
    }

    private var columnList: SQLQueryString { SQLQueryString(Self.columns.joined(separator: ", ")) }

    func enqueue(_ message: OutboxMessage, now: EpochMillis) async throws -> Bool {
        let id = "obx_" + RandomIdentifier.hex(byteCount: 12)
        let payload = message.payload.jsonText()
        return try await db.raw(
            """
            INSERT INTO outbox (id, kind, idempotency_key, payload, state, attempts, created_at, next_attempt_at)
            VALUES (\(bind: id), \(bind: message.kind), \(bind: message.idempotencyKey), \(bind: payload), 'pending', 0,
                \(bind: now), \(bind: now))
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id
            """
        ).first() != nil
    }

    func claim(owner: String, limit: Int, now: EpochMillis, leaseUntil: EpochMillis) async throws -> [OutboxClaim] {
        // SQLite has one writer at a time, so the sub-select and the update are atomic as they
        // are; PostgreSQL locks the chosen rows and skips those another claim holds.
        let lock: SQLQueryString = db.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try await db.raw(
            """
            UPDATE outbox SET leased_by = \(bind: owner), leased_until = \(bind: leaseUntil), attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM outbox
                WHERE state = 'pending' AND next_attempt_at <= \(bind: now)
                    AND (leased_until IS NULL OR leased_until <= \(bind: now))
                ORDER BY next_attempt_at, id LIMIT \(bind: max(1, limit))\(lock))
            RETURNING \(columnList)
            """
        ).all()
        return try rows.map(Self.record).sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
            .map { OutboxClaim(record: $0, owner: owner) }
    }

    func markDelivered(_ claim: OutboxClaim, at: EpochMillis) async throws -> Bool {
        try await db.raw(
            """
            UPDATE outbox SET state = 'delivered', delivered_at = \(bind: at), leased_by = NULL, leased_until = NULL
            WHERE id = \(bind: claim.record.id) AND state = 'pending' AND leased_by = \(bind: claim.owner)
                AND attempts = \(bind: claim.attempt)
            RETURNING id
            """
        ).first() != nil
    }

    func markFailed(_ claim: OutboxClaim, error: String, retryAt: EpochMillis?, at: EpochMillis) async throws -> Bool {
        let state: OutboxRecord.State = retryAt == nil ? .dead : .pending
        let deadAt: EpochMillis? = retryAt == nil ? at : nil
        return try await db.raw(
            """
            UPDATE outbox SET state = \(bind: state.rawValue), last_error = \(bind: error),
                next_attempt_at = \(bind: retryAt ?? at), dead_at = \(bind: deadAt),
                leased_by = NULL, leased_until = NULL
            WHERE id = \(bind: claim.record.id) AND state = 'pending' AND leased_by = \(bind: claim.owner)
                AND attempts = \(bind: claim.attempt)
            RETURNING id
            """
        ).first() != nil
    }

    func get(_ id: String) async throws -> OutboxRecord? {
        try await db.select().columns(Self.columns).from("outbox").where("id", .equal, id).first().map(Self.record)
    }

    func find(idempotencyKey: String) async throws -> OutboxRecord? {
        try await db.select().columns(Self.columns).from("outbox").where("idempotency_key", .equal, idempotencyKey).first()
            .map(Self.record)
    }

    func counts() async throws -> [OutboxRecord.State: Int] {
        let rows = try await db.raw("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state").all()
        var counts: [OutboxRecord.State: Int] = [:]
        for row in rows {
            guard let state = OutboxRecord.State(rawValue: try row.decode(column: "state", as: String.self)) else { continue }
            counts[state] = try row.decode(column: "n", as: Int.self)
        }
        return counts
    }

    func purge(deliveredBefore: EpochMillis, deadBefore: EpochMillis) async throws {
        try await db.delete(from: "outbox").where("state", .equal, OutboxRecord.State.delivered.rawValue)
            .where("delivered_at", .lessThan, deliveredBefore).run()
        try await db.delete(from: "outbox").where("state", .equal, OutboxRecord.State.dead.rawValue)
            .where("dead_at", .lessThan, deadBefore).run()
    }
}
