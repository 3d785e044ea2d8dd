import GatehouseActions
import GatehouseCore
import GatehouseStorage

/// An asynchronous trigger (`auth0-actions.md` §1.1, §4.1: `post-user-registration`,
/// `post-change-password`): the change it reports is already committed, so its actions cannot
/// affect it (their `api` has only `api.cache`, §3.4). The event is built from the state in the
/// transaction of the change and written with it to the outbox; after the commit the relay runs
/// the actions bound *at delivery time*, records the execution like any trigger's, and retries a
/// failed flow with backoff.
///
/// Gatehouse adds `event.delivery` (`idempotency_key`, the same on every attempt, and
/// `attempt`, from 1): delivery is at least once, so an action that calls an external system
/// can pass the key on and let the receiver drop a repeat. Auth0 documents no such key.
public protocol AsyncTrigger: TriggerFlow where Context == AsyncTriggerContext, Decision == AsyncTriggerDelivery {
    /// Locates `event.request.ip` at delivery (`event.request.geoip`).
    var geoip: MaxMindDatabase? { get }
}

/// One delivery of an asynchronous trigger's stored event.
public struct AsyncTriggerContext: Sendable {
    public var delivery: OutboxDelivery
    /// The event as stored, without `secrets` and `delivery`.
    public var event: JSONValue
    public var caller: FlowRunner.Caller
    /// The configuration version at delivery time: the bindings that run are today's.
    public var configurationVersion: Int64
}

/// What a delivery did: the execution that ran the bound actions, or `nil` when none was bound
/// any more (the message is then delivered as a no-op).
public struct AsyncTriggerDelivery: Sendable, Equatable {
    public var executionID: String?
}

/// A delivery whose flow did not complete: the relay tries again later. The text names the
/// trigger, the action and the execution, never the action's own message (which may quote
/// anything the action holds); the execution record has the details.
public struct AsyncTriggerFailure: Error, CustomStringConvertible, Equatable {
    public var trigger: String
    public var actionName: String?
    public var errorClass: String
    public var executionID: String
    /// What failed: `action` or `hook`.
    public var stepKind: String = "action"

    public var description: String {
        let action = actionName.map { " '\($0)'" } ?? ""
        return
            "the \(trigger) \(stepKind)\(action) failed (\(errorClass)); see execution \(executionID) (GET /api/v2/actions/executions/\(executionID))"
    }
}

extension AsyncTrigger {
    public func caller(_ context: Context) -> FlowRunner.Caller { context.caller }

    public func configurationVersion(_ context: Context) -> Int64 { context.configurationVersion }

    public func event(_ context: Context) async throws -> JSONValue {
        var event = AsyncTriggerEvents.locating(context.event, geoip: geoip).objectValue ?? [:]
        event["delivery"] = .object([
            "idempotency_key": .string(context.delivery.idempotencyKey), "attempt": .number(Double(context.delivery.attempt)),
        ])
        return .object(event)
    }

    public func decide(_ outcome: FlowRunner.Outcome?, context: Context) throws -> AsyncTriggerDelivery {
        guard let outcome else { return AsyncTriggerDelivery(executionID: nil) }
        switch outcome.result.status {
        case .completed, .denied, .suspended:
            // Nothing can be denied or suspended here (the api has only `api.cache`).
            return AsyncTriggerDelivery(executionID: outcome.executionID)
        case .failed:
            throw AsyncTriggerFailure(
                trigger: Self.trigger, actionName: outcome.platformFailed ? nil : outcome.failedActionName,
                errorClass: outcome.result.error?.class ?? outcome.result.actions.last(where: { $0.error != nil })?.error?.class
                    ?? "action_error",
                executionID: outcome.executionID, stepKind: outcome.failedStepKind)
        }
    }
}

/// The payload an asynchronous trigger stores in the outbox: the event (without secrets) and
/// who it is about, as the tenant log shows it: `{"event": {…}, "caller": {…}}`.
struct AsyncTriggerPayload: Sendable {
    var event: JSONValue
    var caller: FlowRunner.Caller

    /// The stored payload was not written by this version of Gatehouse.
    struct Unreadable: Error, CustomStringConvertible {
        var description: String { "the stored outbox payload has no 'event' object; it cannot be delivered" }
    }

    init(event: JSONValue, caller: FlowRunner.Caller) {
        self.event = event
        self.caller = caller
    }

    init(_ json: JSONValue) throws {
        guard let object = json.objectValue, let event = object["event"], event.objectValue != nil else { throw Unreadable() }
        let caller = object["caller"]?.objectValue ?? [:]
        self.event = event
        self.caller = FlowRunner.Caller(
            clientID: caller["client_id"]?.stringValue, clientName: caller["client_name"]?.stringValue, ip: caller["ip"]?.stringValue,
            userAgent: caller["user_agent"]?.stringValue, userID: caller["user_id"]?.stringValue,
            userName: caller["user_name"]?.stringValue)
    }

    var json: JSONValue {
        let fields: [(String, String?)] = [
            ("client_id", caller.clientID), ("client_name", caller.clientName), ("ip", caller.ip), ("user_agent", caller.userAgent),
            ("user_id", caller.userID), ("user_name", caller.userName),
        ]
        return .object([
            "event": event,
            "caller": .object(
                Dictionary(uniqueKeysWithValues: fields.compactMap { key, value in value.map { (key, JSONValue.string($0)) } })),
        ])
    }
}

/// Delivers the outbox messages of one asynchronous trigger by running its bound actions.
public struct AsyncTriggerHandler<Trigger: AsyncTrigger>: OutboxHandler {
    let trigger: Trigger
    let storage: Storage

    public init(trigger: Trigger, storage: Storage) {
        self.trigger = trigger
        self.storage = storage
    }

    public var kind: String { Trigger.trigger }

    public func deliver(_ delivery: OutboxDelivery) async throws {
        let payload = try AsyncTriggerPayload(delivery.payload)
        let version = try await storage.read { try await $0.tenant.configurationVersion() }
        _ = try await trigger.run(
            AsyncTriggerContext(delivery: delivery, event: payload.event, caller: payload.caller, configurationVersion: version))
    }
}
