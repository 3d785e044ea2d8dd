import GatehouseCore
import GatehouseStorage

/// Delivers the outbox messages of one `kind` (an asynchronous trigger, an e-mail, a log
/// stream). Returning means delivered; throwing means "try again later": the relay keeps the
/// error's description as the row's `last_error`, so it must say what failed without carrying a
/// secret (no password, token or action secret).
public protocol OutboxHandler: Sendable {
    /// The `kind` of the messages it delivers.
    var kind: String { get }
    /// When its messages are tried again; `nil` (the default) is the relay's policy. A kind
    /// whose messages lose their worth within minutes (an MFA code) has a shorter one.
    var retryPolicy: OutboxRetryPolicy? { get }
    func deliver(_ delivery: OutboxDelivery) async throws
}

extension OutboxHandler {
    public var retryPolicy: OutboxRetryPolicy? { nil }
}

/// A delivery error that says whether trying again could help. A permanent one (an SMTP 5xx, a
/// provider that is not configured) leaves the message dead at once, with the error kept; any
/// other error is retried with the backoff.
public protocol OutboxFailure: Error {
    var isPermanent: Bool { get }
}

/// One attempt at delivering one message.
public struct OutboxDelivery: Sendable {
    public var id: String
    public var kind: String
    /// The same on every attempt: what a receiver uses to drop a repeated delivery.
    public var idempotencyKey: String
    public var payload: JSONValue
    /// 1 for the first attempt.
    public var attempt: Int
    public var createdAt: EpochMillis

    public init(id: String, kind: String, idempotencyKey: String, payload: JSONValue, attempt: Int, createdAt: EpochMillis) {
        self.id = id
        self.kind = kind
        self.idempotencyKey = idempotencyKey
        self.payload = payload
        self.attempt = attempt
        self.createdAt = createdAt
    }

    init(_ record: OutboxRecord) {
        self.init(
            id: record.id, kind: record.kind, idempotencyKey: record.idempotencyKey, payload: record.payload, attempt: record.attempts,
            createdAt: record.createdAt)
    }
}
