import GatehouseCore

/// A message written in the same database transaction as the change it reports, and delivered
/// after the commit by the outbox relay of some instance (DESIGN.md, "Tenant events and an
/// outbox"): at least once, with retries, so a crash between the commit and the delivery loses
/// nothing. The payload never holds a secret or a password (`docs/SECURITY.md`).
public struct OutboxMessage: Sendable, Equatable {
    /// Which handler delivers it, e.g. `post-user-registration`.
    public var kind: String
    /// Unique across the outbox: enqueueing a second message with the same key does nothing,
    /// and the handler passes it on so that the receiver can drop a repeated delivery.
    public var idempotencyKey: String
    /// What the handler needs, as a JSON document.
    public var payload: JSONValue

    public init(kind: String, idempotencyKey: String, payload: JSONValue) {
        self.kind = kind
        self.idempotencyKey = idempotencyKey
        self.payload = payload
    }
}

/// A stored outbox row and where its delivery stands.
public struct OutboxRecord: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Waiting for its (next) attempt, or being delivered under a lease.
        case pending
        case delivered
        /// Every attempt failed: kept with its last error, never tried again.
        case dead
    }

    public var id: String
    public var message: OutboxMessage
    public var state: State
    /// Attempts started so far, counting the one under way (a claim counts one).
    public var attempts: Int
    public var createdAt: EpochMillis
    /// When the row is due (again). A pending row under a live lease is not due before
    /// `leasedUntil` either.
    public var nextAttemptAt: EpochMillis
    /// The relay instance that claimed the row, until when; a crashed instance's claim lapses.
    public var leasedBy: String?
    public var leasedUntil: EpochMillis?
    public var deliveredAt: EpochMillis?
    public var deadAt: EpochMillis?
    /// Why the last attempt failed, as the handler reported it.
    public var lastError: String?

    public var kind: String { message.kind }
    public var idempotencyKey: String { message.idempotencyKey }
    public var payload: JSONValue { message.payload }
}

/// A row handed to one relay: the fence (`owner`, `attempt`) that its outcome must present, so
/// that an instance whose lease lapsed cannot overwrite the outcome of the instance that took
/// the row over.
public struct OutboxClaim: Sendable {
    public var record: OutboxRecord
    public var owner: String
    public var attempt: Int { record.attempts }
}
