import GatehouseCore
import GatehouseStorage
import Logging
import Synchronization

/// Deletes what has run its course, so that nothing an anonymous request can make the server
/// store grows without bound (`docs/SECURITY.md`, "Unauthenticated writes"): login transactions
/// once expired; suspended logins an hour after their expiry (until then a replayed `state` is
/// told it was already used); authorization codes an hour after their expiry (a replay within that hour still
/// revokes what the code issued); sessions and refresh tokens a day after they expired or were
/// revoked; one-time MFA codes and remembered browsers once expired; outbox rows a day after
/// they were delivered, and dead ones after `deadOutboxRowsKept` (to be looked into). Brute-force counters and IP buckets are purged where they are counted
/// (`AttackProtection`); execution records and tenant logs by their retention.
///
/// Every instance purges on its own; the deletes are idempotent, so instances sharing a
/// PostgreSQL database do not need to agree on who does it.
public final class ExpiredRecordsPurger: Sendable {
    public static let codeReplayWindow: EpochMillis = 3_600_000
    public static let endedRowsKept: EpochMillis = 86_400_000
    public static let interval: Duration = .seconds(600)
    /// Dead outbox rows (every attempt failed) are kept this long, with their last error.
    public static let deadOutboxRowsKept: EpochMillis = 30 * 86_400_000

    let storage: Storage
    let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init(storage: Storage, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    /// One pass, at `now`.
    public func purge(now: EpochMillis = Timestamp.nowMillis()) async throws {
        try await storage.transaction { repositories in
            try await repositories.loginTransactions.purgeExpired(now: now)
            try await repositories.loginSuspensions.purge(expiredBefore: now - Self.codeReplayWindow)
            try await repositories.accountTickets.purge(expiredBefore: now - Self.endedRowsKept)
            try await repositories.authorizationCodes.purge(expiredBefore: now - Self.codeReplayWindow)
            try await repositories.sessions.purge(endedBefore: now - Self.endedRowsKept)
            try await repositories.dashboardSessions.purge(expiredBefore: now)
            try await repositories.refreshTokens.purge(endedBefore: now - Self.endedRowsKept)
            try await repositories.multifactor.purgeCodes(expiredBefore: now)
            try await repositories.rememberedBrowsers.purge(expiredBefore: now)
            try await repositories.outbox.purge(
                deliveredBefore: now - Self.endedRowsKept, deadBefore: now - Self.deadOutboxRowsKept)
        }
    }

    /// Purges now, then every `interval`, until `stop()`.
    public func start() {
        let loop = Task { [self] in
            while !Task.isCancelled {
                do {
                    try await purge()
                } catch {
                    logger.error("purging expired records failed; trying again later", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: Self.interval)
            }
        }
        task.withLock {
            $0?.cancel(); $0 = loop
        }
    }

    public func stop() {
        task.withLock {
            $0?.cancel(); $0 = nil
        }
    }
}
