import Foundation
import GatehouseCore
import GatehouseStorage

extension ActionsService {
    /// One entry of `PATCH /actions/triggers/{triggerId}/bindings`.
    public struct BindingReference: Codable, Sendable {
        public var ref: Reference
        public var display_name: String?
        /// Gatehouse extension: run on when this action throws (see `ActionBindingRecord.fail_open`).
        public var fail_open: Bool?

        public struct Reference: Codable, Sendable {
            /// `action_id`, `action_name` or `binding_id`.
            public var type: String
            public var value: String
        }
    }

    /// Replaces the trigger's ordered list (array order = execution order; an empty list unbinds
    /// everything). Only deployed actions written for this trigger can be bound, at most 20 (1 for a
    /// trigger whose catalog entry says `max_bindings: 1`).
    public func replaceBindings(trigger triggerID: String, with references: [BindingReference]) async throws -> [ActionBindingRecord] {
        guard let trigger = catalog.trigger(triggerID) else {
            throw ActionsError.notFound("The trigger \(triggerID) does not exist.", code: "trigger_not_found")
        }
        if let limit = trigger.maxBindings, references.count > limit {
            throw ActionsError.invalid(
                "The \(triggerID) trigger takes at most \(limit) bound action\(limit == 1 ? "" : "s"): its action delivers the"
                    + " message itself. Bind a single action.", code: "too_many_bindings")
        }
        guard references.count <= ActionLimits.bindingsPerTrigger else {
            throw ActionsError.invalid(
                "A trigger can have at most \(ActionLimits.bindingsPerTrigger) bound actions.", code: "too_many_bindings")
        }
        return try await storage.transaction { repositories in
            let current = try await repositories.actions.bindings(trigger: triggerID)
            var bindings: [ActionBindingRecord] = []
            for reference in references {
                var action: ActionRecord?
                var existing: ActionBindingRecord?
                switch reference.ref.type {
                case "action_id": action = try await repositories.actions.get(reference.ref.value)
                case "action_name": action = try await repositories.actions.find(name: reference.ref.value)
                case "binding_id":
                    existing = current.first { $0.id == reference.ref.value }
                    if let existing { action = try await repositories.actions.get(existing.action_id) }
                default:
                    throw ActionsError.invalid("ref.type must be action_id, action_name or binding_id, got \(reference.ref.type).")
                }
                guard let action else {
                    throw ActionsError.invalid("No action matches \(reference.ref.type) \(reference.ref.value).", code: "action_not_found")
                }
                guard action.content.supported_triggers.contains(where: { $0.id == triggerID }) else {
                    throw ActionsError.invalid(
                        "The action \(action.name) does not support the trigger \(triggerID).", code: "trigger_not_supported")
                }
                guard action.deployed_version_id != nil else {
                    throw ActionsError.invalid(
                        "Trying to create a binding for an action that has not been deployed yet: \(action.name).",
                        code: "action_not_deployed")
                }
                bindings.append(
                    ActionBindingRecord(
                        id: existing?.id ?? UUID().uuidString.lowercased(), trigger_id: triggerID, action_id: action.id,
                        display_name: reference.display_name ?? existing?.display_name ?? action.name,
                        created_at: existing?.created_at ?? Timestamp.nowMillis(),
                        fail_open: reference.fail_open ?? existing?.fail_open ?? false))
            }
            try await repositories.actions.replaceBindings(trigger: triggerID, with: bindings)
            return bindings
        }
    }
}
