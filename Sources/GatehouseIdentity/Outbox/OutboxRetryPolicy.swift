import GatehouseCore

/// When the relay tries a message again, and when it gives up.
///
/// Auth0 documents no retry schedule for asynchronous triggers; this one spreads six attempts
/// over about 73 minutes (5 s, 30 s, 2 min, 10 min, 1 h after each failure), enough to ride out
/// a receiver's restart or a short outage without hammering it. After the last attempt the row
/// is dead and keeps its last error.
public struct OutboxRetryPolicy: Sendable, Equatable {
    /// The wait after the first, second, … failed attempt. Its count plus one is the number of
    /// attempts.
    public var backoff: [Duration]

    public init(backoff: [Duration]) {
        self.backoff = backoff
    }

    public static let standard = OutboxRetryPolicy(backoff: [
        .seconds(5), .seconds(30), .seconds(120), .seconds(600), .seconds(3_600),
    ])

    public var maxAttempts: Int { backoff.count + 1 }

    /// When attempt `attempt` (1 for the first) failed at `now`: the time of the next attempt,
    /// or `nil` when it was the last.
    public func retryAt(afterAttempt attempt: Int, failedAt now: EpochMillis) -> EpochMillis? {
        guard attempt >= 1, attempt < maxAttempts else { return nil }
        return now + backoff[attempt - 1].milliseconds
    }

    /// The longest error text kept on a row.
    public static let maxErrorLength = 1_000

    /// `error`'s description, shortened to what a row keeps.
    public static func errorText(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count <= maxErrorLength ? text : String(text.prefix(maxErrorLength - 1)) + "…"
    }
}

extension Duration {
    /// Whole milliseconds (rounded down).
    var milliseconds: EpochMillis {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
