import GatehouseCore
import GatehouseStorage
import Logging

extension OutboxRelay {
    /// Why a message could not be delivered at all.
    struct NoHandler: Error, CustomStringConvertible {
        let kind: String
        var description: String {
            "no handler delivers outbox messages of kind '\(kind)' on this instance (a newer version wrote it?); it is retried"
        }
    }

    /// One pass: claims a batch of due rows, delivers them concurrently and records each
    /// outcome. Returns how many rows it claimed (0: nothing was due).
    @discardableResult
    public func deliverDue(now: EpochMillis = Timestamp.nowMillis()) async -> Int {
        let claims: [OutboxClaim]
        do {
            let owner = instanceID
            let limit = settings.batchSize
            let leaseUntil = now + settings.lease.milliseconds
            claims = try await storage.transaction { repositories in
                try await repositories.outbox.claim(owner: owner, limit: limit, now: now, leaseUntil: leaseUntil)
            }
        } catch {
            logger.error("cannot claim outbox rows; trying again later", metadata: ["error": "\(error)"])
            return 0
        }
        guard !claims.isEmpty else { return 0 }
        let handlers = state.withLock { $0.handlers }
        await withTaskGroup(of: Void.self) { group in
            for claim in claims {
                group.addTask { [self] in await deliver(claim, handler: handlers[claim.record.kind]) }
            }
        }
        return claims.count
    }

    private func deliver(_ claim: OutboxClaim, handler: (any OutboxHandler)?) async {
        let record = claim.record
        var failure: (any Error)?
        do {
            guard let handler else { throw NoHandler(kind: record.kind) }
            try await handler.deliver(OutboxDelivery(record))
        } catch {
            failure = error
        }
        let finished = Timestamp.nowMillis()
        do {
            if let failure {
                let permanent = (failure as? any OutboxFailure)?.isPermanent ?? false
                let policy = handler?.retryPolicy ?? settings.retry
                let retryAt = permanent ? nil : policy.retryAt(afterAttempt: claim.attempt, failedAt: finished)
                let text = OutboxRetryPolicy.errorText(failure)
                let written = try await storage.transaction { repositories in
                    try await repositories.outbox.markFailed(claim, error: text, retryAt: retryAt, at: finished)
                }
                let metadata: Logger.Metadata = [
                    "id": "\(record.id)", "kind": "\(record.kind)", "attempt": "\(claim.attempt)", "error": "\(text)",
                ]
                if retryAt == nil {
                    logger.error("outbox message dead after its last attempt", metadata: metadata)
                } else {
                    logger.warning("outbox delivery failed; it will be retried", metadata: metadata)
                }
                if written, let retryAt { scheduled(retryAt: retryAt) }
                count(written: written) { statistics in
                    if retryAt == nil { statistics.dead += 1 } else { statistics.failedAttempts += 1 }
                }
            } else {
                let written = try await storage.transaction { repositories in
                    try await repositories.outbox.markDelivered(claim, at: finished)
                }
                count(written: written) { $0.delivered += 1 }
            }
        } catch {
            // The lease lapses and the row is delivered again: at least once.
            logger.error(
                "cannot record an outbox delivery's outcome; the message will be delivered again",
                metadata: ["id": "\(record.id)", "error": "\(error)"])
        }
    }

    private func count(written: Bool, _ change: (inout Statistics) -> Void) {
        state.withLock { state in
            if written {
                change(&state.statistics)
            } else {
                state.statistics.lostClaims += 1
            }
        }
    }
}
