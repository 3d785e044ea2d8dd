import GatehouseActions
import GatehouseCore

/// One trigger of the identity lifecycle (DESIGN.md, "The middle floor": one file per trigger).
/// A trigger builds its event from real state and turns what the flow did into a decision; the
/// shared `FlowRunner` resolves the bound actions, runs them in the sandbox and records the
/// execution. A new trigger is one conforming type plus its tests.
public protocol TriggerFlow: Sendable {
    /// What the place that fires the trigger knows (a login, a phone message to send, …).
    associatedtype Context: Sendable
    /// What the caller acts on.
    associatedtype Decision: Sendable

    /// The trigger id of the catalog (`auth0-actions.md` §1.1), e.g. `send-phone-message`.
    static var trigger: String { get }

    var flows: FlowRunner { get }

    /// Who the flow runs for, as the tenant log shows it.
    func caller(_ context: Context) -> FlowRunner.Caller
    /// The configuration version the request was served with (selects the bindings).
    func configurationVersion(_ context: Context) -> Int64
    /// The event without `secrets` (each action gets its own). Built only when actions are bound.
    func event(_ context: Context) async throws -> JSONValue
    /// The decision for the flow's outcome; `outcome` is `nil` when no action is bound.
    func decide(_ outcome: FlowRunner.Outcome?, context: Context) throws -> Decision
}

extension TriggerFlow {
    /// Runs the trigger's bound actions over the event of `context` and decides.
    public func run(_ context: Context) async throws -> Decision {
        let outcome = try await flows.run(
            trigger: Self.trigger, configurationVersion: configurationVersion(context), caller: caller(context)
        ) { try await event(context) }
        return try decide(outcome, context: context)
    }
}
