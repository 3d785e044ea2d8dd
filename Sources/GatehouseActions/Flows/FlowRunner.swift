import Foundation
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage
import Logging
import Synchronization

/// Runs the deployed actions bound to a trigger over one event, records the execution, and
/// reports what they asked for. Applying the commands is the caller's job (the server decides).
public final class FlowRunner: Sendable {
    /// A bound, deployed action version, ready to send to the sandbox.
    public struct BoundAction: Sendable {
        public let bindingID: String
        public let actionID: String
        public let actionName: String
        public let versionID: String
        public let source: ActionSource
        /// A legacy rule (`RuleSteps`): ids are the rule's, there is no binding.
        public var isRule: Bool { source.isRule }
        /// A legacy hook (`hookStep`): ids are the hook's, there is no binding.
        public var isHook: Bool { source.hook != nil }
        /// What the tenant log and error messages call this step: `rule`, `hook` or `action`.
        public var kind: String { isRule ? "rule" : isHook ? "hook" : "action" }
    }

    /// Who the flow ran for, as the tenant log shows it.
    public struct Caller: Sendable {
        public var clientID: String?
        public var clientName: String?
        public var ip: String?
        public var userAgent: String?
        public var userID: String?
        public var userName: String?

        public init(
            clientID: String?, clientName: String?, ip: String?, userAgent: String? = nil, userID: String? = nil, userName: String? = nil
        ) {
            self.clientID = clientID
            self.clientName = clientName
            self.ip = ip
            self.userAgent = userAgent
            self.userID = userID
            self.userName = userName
        }
    }

    /// What a flow did, with the id of its execution record.
    public struct Outcome: Sendable {
        public let result: FlowResult
        public let executionID: String
        public let bound: [BoundAction]

        /// The action that stopped the flow with an error: the last one that failed (earlier
        /// failures were fail-open), or the first action when the flow failed as a whole.
        public var failedActionName: String? {
            if let index = result.failedActionIndex, bound.indices.contains(index) { return bound[index].actionName }
            return result.actions.last { $0.error != nil }?.name ?? bound.first?.actionName
        }

        /// Whether the step `failedActionName` names is a legacy rule.
        public var failedStepIsRule: Bool {
            if let index = result.failedActionIndex, bound.indices.contains(index) { return bound[index].isRule }
            if let index = result.actions.lastIndex(where: { $0.error != nil }), bound.indices.contains(index) {
                return bound[index].isRule
            }
            return bound.first?.isRule ?? false
        }

        /// What the step `failedActionName` names is: `rule`, `hook` or `action`.
        public var failedStepKind: String {
            if let index = result.failedActionIndex, bound.indices.contains(index) { return bound[index].kind }
            if let index = result.actions.lastIndex(where: { $0.error != nil }), bound.indices.contains(index) {
                return bound[index].kind
            }
            return bound.first?.kind ?? "action"
        }

        /// The flow failed as a whole because the platform did (no worker could run it, or one
        /// was killed from outside), not because of an action: the caller may try again.
        public var platformFailed: Bool {
            result.status == .failed && result.error?.class == "platform_error" && result.actions.allSatisfy { $0.error == nil }
        }

    }

    /// Where a suspended flow goes on (`PROTOCOL.md` §4): the step that suspended, named by its
    /// binding (not its position: bindings may be reordered while a login waits), the handler it
    /// resumes with, and the transient keys of the suspended run.
    public struct Resumption: Sendable, Codable, Equatable {
        /// The binding of the first action to run.
        public var bindingID: String
        /// `continue` (the action that redirected gets its `onContinue…` handler) or `execute`.
        public var handler: String
        public var transient: JSONValue?

        public init(bindingID: String, handler: String, transient: JSONValue?) {
            self.bindingID = bindingID
            self.handler = handler
            self.transient = transient
        }
    }

    /// The step a suspended login waits on is no longer bound to the trigger.
    public struct StepGone: Error, Sendable {
        public let bindingID: String
    }

    let storage: Storage
    let sandbox: SandboxPool?
    public let recorder: ExecutionRecorder
    public let cache: ActionCache
    let budgetMillis: Int
    /// The `node_modules` of the rules' shared bundle (`RulesModules`), or `nil`.
    let rulesNodeModules: String?
    private let bindingsCache = Mutex<(version: Int64, triggers: [String: [BoundAction]])>((-1, [:]))
    let rulesCache = Mutex<(version: Int64, steps: [BoundAction])>((-1, []))
    let hooksCache = Mutex<(version: Int64, steps: [String: BoundAction])>((-1, [:]))

    public init(
        storage: Storage, sandbox: SandboxPool?, recorder: ExecutionRecorder, budgetMillis: Int = 20_000,
        rulesNodeModules: String? = nil
    ) {
        self.storage = storage
        self.sandbox = sandbox
        self.recorder = recorder
        self.budgetMillis = budgetMillis
        self.rulesNodeModules = rulesNodeModules
        cache = ActionCache(storage: storage)
    }

    /// The trigger's bound actions as of `configurationVersion` (cached per version: every
    /// action, version or binding write bumps it).
    public func bound(_ trigger: String, configurationVersion: Int64) async throws -> [BoundAction] {
        if let cached = bindingsCache.withLock({ $0.version == configurationVersion ? $0.triggers[trigger] : nil }) {
            return cached
        }
        let loaded = try await storage.read { repositories -> [BoundAction] in
            var bound: [BoundAction] = []
            for binding in try await repositories.actions.bindings(trigger: trigger) {
                guard let action = try await repositories.actions.get(binding.action_id), let versionID = action.deployed_version_id,
                    let version = try await repositories.actions.version(versionID)
                else { continue }
                let secrets = try await repositories.actions.secrets(ofVersion: versionID)
                bound.append(
                    BoundAction(
                        bindingID: binding.id, actionID: action.id, actionName: action.name, versionID: version.id,
                        source: ActionSource(
                            name: action.name, versionID: version.id, code: version.content.code, secrets: secrets,
                            nodeModules: version.node_modules, failOpen: binding.fail_open, runtime: version.content.runtime)))
            }
            return bound
        }
        bindingsCache.withLock { cache in
            if cache.version != configurationVersion { cache = (configurationVersion, [:]) }
            cache.triggers[trigger] = loaded
        }
        return loaded
    }

    /// Runs the flow; `nil` when nothing is bound, in which case `event` is never built (it is
    /// asked for only when actions will read it: the token endpoint pays nothing for an unbound
    /// trigger). Fails closed: without a sandbox, a bound trigger's flow fails with a
    /// `platform_error`. Persists the flow's `api.cache` writes (unless it failed), records the
    /// execution, and logs `actions_execution_failed` for each action that failed.
    ///
    /// `resuming` runs a suspended flow from the step it names (throwing `StepGone` when that
    /// binding no longer exists), with its handler and transient keys; `event` is then the
    /// suspended run's state with a fresh `request`.
    ///
    /// The flow is a plan of steps (DESIGN.md, "The middle floor"): for `post-login`, the enabled
    /// legacy rules first (`ruleSteps`); for the five Hooks extensibility points, the enabled
    /// hook first (`hookStep`); then the bound actions. Resuming at `rulesStep` runs
    /// every rule again (`context.protocol === 'redirect-callback'`) and then every action.
    /// `facts` go to the runner (`PROTOCOL.md` §4: `executed_rules`, `auth0_domain`), and so do
    /// `ruleFacts` when rules run (read only then: `users_by_email`).
    public func run(
        trigger: String, configurationVersion: Int64, caller: Caller, resuming: Resumption? = nil,
        facts: [String: JSONValue] = [:], ruleFacts: (() async throws -> [String: JSONValue])? = nil,
        event: () async throws -> JSONValue
    ) async throws -> Outcome? {
        var facts = facts
        var bound = try await bound(trigger, configurationVersion: configurationVersion)
        var handler = resuming?.handler ?? "execute"
        let rules = trigger == Self.rulesTrigger ? try await ruleSteps(configurationVersion: configurationVersion) : []
        if !rules.isEmpty, let ruleFacts { facts.merge(try await ruleFacts()) { $1 } }
        if let resuming, resuming.bindingID == Self.rulesStep {
            bound = rules + bound
            handler = rules.isEmpty ? "execute" : "continue"
        } else if let resuming {
            guard let index = bound.firstIndex(where: { $0.bindingID == resuming.bindingID }) else {
                throw StepGone(bindingID: resuming.bindingID)
            }
            bound = Array(bound[index...])
        } else {
            let hook = try await hookStep(trigger, configurationVersion: configurationVersion)
            bound = rules + (hook.map { [$0] } ?? []) + bound
        }
        guard !bound.isEmpty else { return nil }
        let started = Timestamp.nowMillis()
        let clock = ContinuousClock.now
        var result: FlowResult
        if let sandbox {
            let snapshot = try await cache.snapshot(trigger: trigger)
            var request = FlowRequest(
                trigger: trigger, handler: handler, event: try await event(), actions: bound.map(\.source),
                cache: snapshot, facts: facts, budgetMillis: budgetMillis, now: started)
            request.transient = resuming?.transient
            do {
                result = try await sandbox.run(request)
            } catch {
                // No worker could be had (the pool could not start, or is shutting down).
                result = SandboxPool.platformFailure("No sandbox worker could run the flow: \(error)")
            }
            if result.status != .failed { try await cache.apply(trigger: trigger, commands: result.commands) }
        } else {
            result = SandboxPool.platformFailure("The Actions sandbox is not running on this server.")
        }
        result = Self.withoutSecrets(result, bound: bound)
        let elapsed = ContinuousClock.now - clock
        let totalMillis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let execution = Self.record(trigger: trigger, bound: bound, result: result, started: started, totalMillis: totalMillis)
        await recorder.record(
            execution: execution,
            logs: Self.failureLogs(trigger: trigger, executionID: execution.id, bound: bound, result: result, caller: caller))
        return Outcome(result: result, executionID: execution.id, bound: bound)
    }

    /// Auth0's `actions_execution_failed` tenant log events, one per failed action (DOCS
    /// `tenant-logs/actions/actions-execution-failed.mdx`).
    static func failureLogs(trigger: String, executionID: String, bound: [BoundAction], result: FlowResult, caller: Caller) -> [LogRecord] {
        var failures: [(binding: BoundAction?, error: ActionError)] = []
        for (index, action) in result.actions.enumerated() {
            if let error = action.error { failures.append((index < bound.count ? bound[index] : nil, error)) }
        }
        if let error = result.error {
            let index = result.failedActionIndex ?? 0
            failures.append((bound.indices.contains(index) ? bound[index] : nil, error))
        }
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        return failures.map { binding, error in
            var details: [String: JSONValue] = [
                "trigger_id": .string(trigger), "execution_id": .string(executionID), "error_class": .string(error.class),
                "action_error": .object([
                    "name": .string(error.name), "message": .string(error.message), "code": error.code ?? .null,
                    "stack": error.stack.map(JSONValue.string) ?? .null,
                ]),
            ]
            if let binding, binding.isRule {
                details["rule_id"] = .string(binding.actionID)
                details["rule_name"] = .string(binding.actionName)
            } else if let binding, binding.isHook {
                details["hook_id"] = .string(binding.actionID)
                details["hook_name"] = .string(binding.actionName)
            } else if let binding {
                details["action_id"] = .string(binding.actionID)
                details["action_name"] = .string(binding.actionName)
                details["version_id"] = .string(binding.versionID)
                details["binding_id"] = .string(binding.bindingID)
            }
            return LogRecord(
                log_id: RandomIdentifier.hex(byteCount: 16), date: now, type: "actions_execution_failed",
                description: "The \(binding?.kind ?? "action") '\(binding?.actionName ?? "")' failed: \(error.message)",
                client_id: caller.clientID,
                client_name: caller.clientName, ip: caller.ip, user_agent: caller.userAgent, user_id: caller.userID,
                user_name: caller.userName, details: .object(details))
        }
    }

    static func record(trigger: String, bound: [BoundAction], result: FlowResult, started: EpochMillis, totalMillis: Double)
        -> ExecutionRecord
    {
        var results: [ExecutionResult] = []
        var cursor = Double(started)
        let actionsMillis = result.actions.reduce(0) { $0 + $1.duration_ms }
        let bootMillis = max(0, totalMillis - actionsMillis)
        for (index, action) in result.actions.enumerated() {
            let binding = index < bound.count ? bound[index] : nil
            let start = cursor
            cursor += action.duration_ms
            var response: [String: JSONValue] = [
                "stats": .object([
                    "action_duration_ms": .number(action.duration_ms), "boot_duration_ms": .number(index == 0 ? bootMillis : 0),
                    "total_request_duration_ms": .number(totalMillis),
                ])
            ]
            if let error = action.error { response["error"] = .object(["name": .string(error.name), "message": .string(error.message)]) }
            results.append(
                ExecutionResult(
                    action_name: action.name, binding_id: binding?.isRule == true || binding?.isHook == true ? nil : binding?.bindingID,
                    version_id: binding?.versionID,
                    started_at: Timestamp.iso8601(EpochMillis(start)), ended_at: Timestamp.iso8601(EpochMillis(cursor)),
                    error: action.error.map { .object(["id": .string($0.class), "msg": .string($0.message)]) }, response: .object(response),
                    logs: action.logs))
        }
        if let error = result.error,
            let first = result.failedActionIndex.flatMap({ bound.indices.contains($0) ? bound[$0] : nil }) ?? bound.first
        {
            results.append(
                ExecutionResult(
                    action_name: first.actionName, binding_id: first.bindingID, version_id: first.versionID,
                    started_at: Timestamp.iso8601(started), ended_at: Timestamp.iso8601(started + EpochMillis(totalMillis)),
                    error: .object(["id": .string(error.class), "msg": .string(error.message)]),
                    response: .object(["error": .object(["name": .string(error.name), "message": .string(error.message)])]), logs: ""))
        }
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        return ExecutionRecord(
            id: RandomIdentifier.hex(byteCount: 16), trigger_id: trigger, status: result.status == .suspended ? "suspended" : "final",
            results: results, created_at: Timestamp.iso8601(started), updated_at: now)
    }
}
