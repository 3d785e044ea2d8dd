import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// The asynchronous triggers (`post-user-registration`, `post-change-password`) and the outbox
/// relay that delivers them. A change that fires one of them does three things:
///
/// 1. before its transaction, `isBound(trigger)`: whether any action is bound (or a hook
///    enabled) now;
/// 2. in its transaction, the trigger's `enqueue` (only when bound);
/// 3. after the commit, `committed()`, so that this instance's relay delivers at once.
///
/// A change made while nothing is bound enqueues nothing: it costs no write and no delivery,
/// and an action bound later does not receive changes that happened before it was bound. The
/// actions that run are the ones bound when the message is delivered (a retry an hour later
/// runs the bindings of that hour); when none is bound any more, the message is delivered as a
/// no-op.
public struct AsyncTriggers: Sendable {
    public let relay: OutboxRelay
    let flows: FlowRunner?
    let configurationCache: ConfigurationCache
    /// `event.tenant.id`.
    public let tenantName: String
    /// The outbox handlers of the triggers (none without Actions), registered on `relay`.
    public let handlers: [any OutboxHandler]

    public init(
        relay: OutboxRelay, flows: FlowRunner?, storage: Storage, configurationCache: ConfigurationCache, tenantName: String,
        geoip: MaxMindDatabase?
    ) {
        self.relay = relay
        self.flows = flows
        self.configurationCache = configurationCache
        self.tenantName = tenantName
        handlers =
            flows.map { flows -> [any OutboxHandler] in
                [
                    AsyncTriggerHandler(trigger: PostUserRegistration(flows: flows, geoip: geoip), storage: storage),
                    AsyncTriggerHandler(trigger: PostChangePassword(flows: flows, geoip: geoip), storage: storage),
                ]
            } ?? []
        for handler in handlers { relay.register(handler) }
    }

    /// Whether an action is bound to `trigger` now (deployed), or a legacy hook is enabled at
    /// its extensibility point. Call it before the transaction: it may read the database.
    public func isBound(_ trigger: String) async throws -> Bool {
        guard let flows else { return false }
        let version = try await configurationCache.snapshot().version
        return try await flows.hasSteps(trigger, configurationVersion: version)
    }

    /// Call after committing a transaction that enqueued a message: the relay delivers it now.
    public func committed() {
        relay.wake()
    }
}
