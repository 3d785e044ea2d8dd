import GatehouseCore
import GatehouseStorage
import Logging
import Synchronization

/// Delivers the outbox (DESIGN.md, "Tenant events and an outbox"; `OutboxRepository`): one per
/// server instance, started with the server and stopped on shutdown.
///
/// It claims due rows in batches, hands each to the handler registered for its kind, and
/// records the outcome: delivered, due again after the policy's backoff, or dead after the last
/// attempt (with the error kept). It runs a pass at once when this instance enqueued something
/// (`wake()`, called after the commit), so the delivery lag is a pass, not a polling period;
/// otherwise it polls every `pollInterval` to pick up other instances' rows and the rows of a
/// crashed instance whose lease lapsed, and wakes for the retries it scheduled itself. A message is delivered at least once: a crash
/// after the action ran and before the outcome was written delivers it again, with the same
/// idempotency key.
public final class OutboxRelay: Sendable {
    public struct Settings: Sendable {
        public var retry: OutboxRetryPolicy
        /// How often the relay looks for due rows when nothing woke it.
        public var pollInterval: Duration
        /// How long a claim holds its rows: longer than a batch's deliveries can take, so that
        /// only a crashed (or stuck) instance's rows are taken over.
        public var lease: Duration
        /// Rows claimed and delivered together in one pass.
        public var batchSize: Int

        public init(
            retry: OutboxRetryPolicy = .standard, pollInterval: Duration = .seconds(2), lease: Duration = .seconds(60),
            batchSize: Int = 8
        ) {
            self.retry = retry
            self.pollInterval = pollInterval
            self.lease = lease
            self.batchSize = max(1, batchSize)
        }
    }

    /// What this relay has done since it was made (for tests and logs).
    public struct Statistics: Sendable, Equatable {
        public var delivered = 0
        public var failedAttempts = 0
        public var dead = 0
        /// Outcomes another relay had already written (this one's lease had lapsed).
        public var lostClaims = 0

        public init(delivered: Int = 0, failedAttempts: Int = 0, dead: Int = 0, lostClaims: Int = 0) {
            self.delivered = delivered
            self.failedAttempts = failedAttempts
            self.dead = dead
            self.lostClaims = lostClaims
        }
    }

    struct State {
        var loop: Task<Void, Never>?
        /// Bumped by every `wake()`.
        var generation: UInt64 = 0
        /// The generation at the start of the latest pass that found nothing due.
        var settledGeneration: UInt64 = 0
        var woken = false
        var napper: CheckedContinuation<Void, Never>?
        var idleWaiters: [(generation: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        var handlers: [String: any OutboxHandler] = [:]
        var statistics = Statistics()
        /// The retries this relay scheduled and has not reached yet (at most
        /// `maxTrackedRetries`; the poll finds the rest): it naps no longer than the first.
        var retryTimes: [EpochMillis] = []
    }

    let storage: Storage
    let logger: Logger
    public let settings: Settings
    /// This instance's name in the `leased_by` column.
    public let instanceID: String
    let state = Mutex(State())

    public init(storage: Storage, logger: Logger, settings: Settings = Settings()) {
        self.storage = storage
        self.logger = logger
        self.settings = settings
        self.instanceID = "relay_" + RandomIdentifier.hex(byteCount: 8)
    }

    /// Makes `handler` deliver the messages of its kind (replacing any earlier one).
    public func register(_ handler: any OutboxHandler) {
        state.withLock { $0.handlers[handler.kind] = handler }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Starts delivering in the background, until `stop()`; does nothing when already started.
    public func start() {
        state.withLock { state in
            guard state.loop == nil else { return }
            state.loop = Task { [self] in await run() }
        }
    }

    /// Stops the loop after the pass under way; rows it had claimed but not finished are taken
    /// over when their lease lapses.
    public func stop() async {
        let (loop, napper) = state.withLock { state in
            let taken = (state.loop, state.napper)
            state.loop = nil
            state.napper = nil
            return taken
        }
        loop?.cancel()
        napper?.resume()
        await loop?.value
        let waiters = state.withLock { state in
            let waiters = state.idleWaiters
            state.idleWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.continuation.resume() }
    }

    /// Runs a pass now: call it after committing a transaction that enqueued a message.
    public func wake() {
        let napper = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.generation &+= 1
            if let napper = state.napper {
                state.napper = nil
                return napper
            }
            state.woken = true
            return nil
        }
        napper?.resume()
    }

    /// Returns once a pass that started after this call found nothing due: every message
    /// committed before the call has been delivered, or failed and waits for its retry, or died.
    /// Without a running loop, runs the passes itself.
    public func waitUntilIdle() async {
        wake()
        let running = state.withLock { $0.loop != nil }
        guard running else {
            while await deliverDue() > 0 {}
            return
        }
        await withCheckedContinuation { continuation in
            let settled = state.withLock { state -> Bool in
                if state.settledGeneration >= state.generation || state.loop == nil { return true }
                state.idleWaiters.append((state.generation, continuation))
                return false
            }
            if settled { continuation.resume() }
        }
    }

    private func run() async {
        logger.debug("outbox relay started", metadata: ["instance": "\(instanceID)"])
        while !Task.isCancelled {
            let generation = state.withLock { state in
                state.woken = false
                return state.generation
            }
            if await deliverDue() > 0 { continue }
            settle(generation)
            await nap(napDuration())
        }
    }

    /// Notes that a pass begun at `generation` found nothing due, and releases the waiters it
    /// satisfies.
    private func settle(_ generation: UInt64) {
        let ready = state.withLock { state in
            state.settledGeneration = max(state.settledGeneration, generation)
            let ready = state.idleWaiters.filter { $0.generation <= generation }
            state.idleWaiters.removeAll { $0.generation <= generation }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    static let maxTrackedRetries = 1_000

    /// The poll interval, or less when a retry this relay scheduled comes sooner.
    private func napDuration(now: EpochMillis = Timestamp.nowMillis()) -> Duration {
        state.withLock { state in
            guard let first = state.retryTimes.min() else { return settings.pollInterval }
            if first <= now {
                // Due now: the pass after the nap takes it.
                state.retryTimes.removeAll { $0 <= now }
                return .zero
            }
            return min(settings.pollInterval, .milliseconds(first - now))
        }
    }

    /// Notes a retry scheduled at `time`, so that the relay is awake for it.
    func scheduled(retryAt time: EpochMillis) {
        state.withLock { state in
            if state.retryTimes.count < Self.maxTrackedRetries { state.retryTimes.append(time) }
        }
    }

    /// Sleeps for `interval`, or less when `wake()` is called.
    private func nap(_ interval: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                if state.woken || state.loop == nil || Task.isCancelled {
                    state.woken = false
                    return true
                }
                state.napper = continuation
                return false
            }
            if now {
                continuation.resume()
                return
            }
            Task { [self] in
                try? await Task.sleep(for: interval)
                let napper = state.withLock { state in
                    let napper = state.napper
                    state.napper = nil
                    return napper
                }
                napper?.resume()
            }
        }
    }
}
