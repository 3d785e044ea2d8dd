import Foundation
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

extension FlowRunner {
    /// The trigger legacy rules run before (`auth0-actions.md` §4.1: "Post-login runs after all
    /// Rules").
    public static let rulesTrigger = "post-login"

    /// The step a login suspended by a rule's `context.redirect` resumes at: every rule again,
    /// then every action (Auth0 re-ran the whole rules pipeline on `/continue`).
    public static let rulesStep = "rules"

    /// The enabled rules in `order` as flow steps (ids are the rule's; `secrets` carry the
    /// rules' `configuration`), cached per configuration version like the bindings: every rule
    /// and rules-configs write bumps it.
    public func ruleSteps(configurationVersion: Int64) async throws -> [BoundAction] {
        if let cached = rulesCache.withLock({ $0.version == configurationVersion ? $0.steps : nil }) { return cached }
        let (rules, configuration) = try await storage.read { repositories in
            (try await repositories.rules.all().filter(\.enabled), try await repositories.rules.configuration())
        }
        let nodeModules = rulesNodeModules
        let steps = rules.map { rule in
            BoundAction(
                bindingID: rule.id, actionID: rule.id, actionName: rule.name, versionID: rule.id,
                source: ActionSource(
                    name: rule.name, versionID: rule.id, code: rule.script, secrets: configuration, nodeModules: nodeModules,
                    isRule: true))
        }
        rulesCache.withLock { $0 = (configurationVersion, steps) }
        return steps
    }

    /// `result` without the rules' configuration values and the hook's secrets in what rules and
    /// hooks printed or threw: logs, error messages and stacks reach the execution records, the
    /// tenant log and, for a failed login, the application's `error_description`. Values shorter
    /// than 4 characters are left (they would blank out ordinary words).
    static func withoutSecrets(_ result: FlowResult, bound: [BoundAction]) -> FlowResult {
        let legacy = bound.filter { $0.isRule || $0.isHook }
        guard !legacy.isEmpty else { return result }
        let values = Set(legacy.flatMap { $0.source.secrets.values })
        let secrets = values.filter { $0.count >= 4 }.sorted { $0.count > $1.count }
        guard !secrets.isEmpty else { return result }
        func clean(_ text: String) -> String {
            secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
        }
        func clean(_ error: ActionError) -> ActionError {
            var error = error
            error.message = clean(error.message)
            error.stack = error.stack.map(clean)
            return error
        }
        var result = result
        for index in result.actions.indices where bound.indices.contains(index) && (bound[index].isRule || bound[index].isHook) {
            result.actions[index].logs = clean(result.actions[index].logs)
            result.actions[index].error = result.actions[index].error.map(clean)
        }
        result.error = result.error.map(clean)
        return result
    }
}
