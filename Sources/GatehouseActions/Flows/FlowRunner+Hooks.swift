import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

extension FlowRunner {
    /// The enabled legacy hook of `trigger`'s extensibility point as the flow's first step
    /// (`auth0-actions.md` §4.1: the Actions of `credentials-exchange`, `pre-user-registration`,
    /// `post-user-registration`, … run after the corresponding Hook), or `nil`. Its id is the
    /// step's, its secrets become `context.webtask.secrets`. Cached per configuration version
    /// like the bindings: every hook and hook-secrets write bumps it.
    public func hookStep(_ trigger: String, configurationVersion: Int64) async throws -> BoundAction? {
        guard HookRecord.triggerIDs.contains(trigger) else { return nil }
        if let cached = hooksCache.withLock({ $0.version == configurationVersion ? $0.steps : nil }) { return cached[trigger] }
        let steps = try await storage.read { repositories -> [String: BoundAction] in
            var steps: [String: BoundAction] = [:]
            for hook in try await repositories.hooks.all() where hook.enabled {
                let secrets = try await repositories.hooks.secrets(hook.id)
                steps[hook.triggerId] = BoundAction(
                    bindingID: hook.id, actionID: hook.id, actionName: hook.name, versionID: hook.id,
                    source: ActionSource(
                        name: hook.name, versionID: hook.id, code: hook.script, secrets: secrets, nodeModules: hook.nodeModules,
                        hook: hook.triggerId))
            }
            return steps
        }
        hooksCache.withLock { $0 = (configurationVersion, steps) }
        return steps[trigger]
    }

    /// Whether a flow of `trigger` has anything to run now: a bound action or an enabled hook.
    /// The asynchronous triggers ask it before enqueueing a delivery.
    public func hasSteps(_ trigger: String, configurationVersion: Int64) async throws -> Bool {
        if try await hookStep(trigger, configurationVersion: configurationVersion) != nil { return true }
        return try await !bound(trigger, configurationVersion: configurationVersion).isEmpty
    }
}
