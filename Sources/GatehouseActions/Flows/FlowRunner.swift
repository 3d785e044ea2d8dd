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
        public let actionName: String
        public let versionID: String
        public let source: ActionSource
    }

    /// What a flow did, with the id of its execution record.
    public struct Outcome: Sendable {
        public let result: FlowResult
        public let executionID: String
        public let bound: [BoundAction]

        /// The action that failed (or the first one, when the flow failed as a whole).
        public var failedActionName: String? {
            result.actions.first { $0.error != nil }?.name ?? bound.first?.actionName
        }
    }

    let storage: Storage
    let sandbox: SandboxPool?
    public let recorder: ExecutionRecorder
    let budgetMillis: Int
    private let bindingsCache = Mutex<(version: Int64, triggers: [String: [BoundAction]])>((-1, [:]))

    public init(storage: Storage, sandbox: SandboxPool?, recorder: ExecutionRecorder, budgetMillis: Int = 20_000) {
        self.storage = storage
        self.sandbox = sandbox
        self.recorder = recorder
        self.budgetMillis = budgetMillis
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
                        bindingID: binding.id, actionName: action.name, versionID: version.id,
                        source: ActionSource(
                            name: action.name, versionID: version.id, code: version.content.code, secrets: secrets,
                            nodeModules: version.node_modules)))
            }
            return bound
        }
        bindingsCache.withLock { cache in
            if cache.version != configurationVersion { cache = (configurationVersion, [:]) }
            cache.triggers[trigger] = loaded
        }
        return loaded
    }

    /// Runs the flow; `nil` when nothing is bound. Fails closed: without a sandbox, a bound
    /// trigger's flow fails with a `platform_error`.
    public func run(trigger: String, event: JSONValue, configurationVersion: Int64) async throws -> Outcome? {
        let bound = try await bound(trigger, configurationVersion: configurationVersion)
        guard !bound.isEmpty else { return nil }
        let started = Timestamp.nowMillis()
        let clock = ContinuousClock.now
        let result: FlowResult
        if let sandbox {
            result = try await sandbox.run(
                FlowRequest(trigger: trigger, event: event, actions: bound.map(\.source), budgetMillis: budgetMillis, now: started))
        } else {
            result = FlowResult(
                status: .failed, actions: [],
                error: ActionError(
                    name: "PlatformError", message: "The Actions sandbox is not running on this server.", class: "platform_error"))
        }
        let elapsed = ContinuousClock.now - clock
        let totalMillis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let execution = Self.record(trigger: trigger, bound: bound, result: result, started: started, totalMillis: totalMillis)
        await recorder.record(execution: execution)
        return Outcome(result: result, executionID: execution.id, bound: bound)
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
                    action_name: action.name, binding_id: binding?.bindingID, version_id: binding?.versionID,
                    started_at: Timestamp.iso8601(EpochMillis(start)), ended_at: Timestamp.iso8601(EpochMillis(cursor)),
                    error: action.error.map { .object(["id": .string($0.class), "msg": .string($0.message)]) }, response: .object(response),
                    logs: action.logs))
        }
        if let error = result.error, let first = bound.first {
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
