import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseSandbox
import Logging

/// `rules convert --check`: the rules (as the runner runs legacy rules, `PROTOCOL.md` §4.3)
/// and their converted actions on the same post-login event, through the same local sandbox
/// as `gatehouse actions run`, and their outcomes compared (`FlowOutcome`). When either
/// redirects, the way back is compared too: the rules all run again with
/// `context.protocol === 'redirect-callback'`, the actions resume with `onContinuePostLogin`.
struct ConversionCheck {
    let sandbox: SandboxConfiguration
    let secrets: [String: String]
    let modulesPath: String?
    let budgetMillis: Int

    /// One comparison: the handler (`execute`, `continue`) and both outcomes.
    struct Phase {
        let handler: String
        let rule: FlowOutcome
        let action: FlowOutcome
        var differences: [String] { rule.differences(from: action) }

        var json: JSONValue {
            .object([
                "handler": .string(handler), "rule": rule.json, "action": action.json,
                "differences": .array(differences.map(JSONValue.string)),
            ])
        }

        var text: String {
            let differences = differences
            if differences.isEmpty { return "check \(handler): same outcome \(rule.json.jsonText())\n" }
            return "check \(handler): the outcomes differ\n" + differences.map { "  \($0)\n" }.joined()
        }
    }

    init(sandbox: SandboxConfiguration, bundles: String?, secrets: [String: String], dependencies: [String: String], budgetMillis: Int)
        async throws
    {
        var sandbox = sandbox
        if let bundles { sandbox.bundlesDirectory = URL(fileURLWithPath: bundles).standardizedFileURL.path }
        self.sandbox = sandbox
        self.secrets = secrets
        self.budgetMillis = budgetMillis
        let declared = dependencies.map { name, version in
            let spec =
                version.hasPrefix("file:") && !version.hasPrefix("file:/")
                ? "file:" + URL(fileURLWithPath: String(version.dropFirst(5))).standardizedFileURL.path : version
            return ActionDependency(name: name, version: spec)
        }
        do {
            modulesPath = try await DependencyInstaller(configuration: sandbox, sources: .anySource, registry: nil).install(declared)
        } catch {
            FileHandle.standardError.write(Data("gatehouse rules convert --check: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// The event file as a JSON object.
    static func event(at path: String) throws -> JSONValue {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let parsed = JSONValue(jsonText: text), parsed.objectValue != nil else {
            throw ValidationError("\(path) is not a JSON object (a post-login event)")
        }
        return parsed
    }

    /// Runs the rules and the actions on `event` and returns the phases compared.
    func compare(rules: [String], actions: [String], names: [String], event: JSONValue) async throws -> [Phase] {
        var logger = Logger(label: "gatehouse.rules")
        logger.logLevel = .warning
        let pool = SandboxPool(configuration: sandbox, catalog: try TriggerCatalog.bundled(), logger: logger)
        do {
            try await pool.start()
            let ruleSources = rules.enumerated().map { index, code in
                ActionSource(
                    name: names.indices.contains(index) ? names[index] : "rule\(index + 1)", versionID: "rul_check\(index + 1)",
                    code: code, secrets: secrets, nodeModules: modulesPath, isRule: true)
            }
            let actionSources = actions.enumerated().map { index, code in
                ActionSource(
                    name: names.indices.contains(index) ? names[index] : "action\(index + 1)", versionID: "local:converted\(index + 1)",
                    code: code, secrets: secrets, nodeModules: modulesPath)
            }
            let now = Timestamp.nowMillis()
            let ruleResult = try await pool.run(request(ruleSources, handler: "execute", event: event, now: now))
            let actionResult = try await pool.run(request(actionSources, handler: "execute", event: event, now: now))
            var phases = [Phase(handler: "execute", rule: FlowOutcome(ruleResult), action: FlowOutcome(actionResult))]
            if ruleResult.status == .suspended || actionResult.status == .suspended {
                let resumedRules = try await pool.run(request(ruleSources, handler: "continue", event: event, now: now))
                let from = actionResult.suspended?.action_index ?? 0
                let resumedActions = try await pool.run(
                    request(
                        Array(actionSources.dropFirst(from)), handler: "continue", event: Self.carryingMetadata(event, actionResult),
                        now: now))
                phases.append(Phase(handler: "continue", rule: FlowOutcome(resumedRules), action: FlowOutcome(resumedActions)))
            }
            await pool.shutdown()
            return phases
        } catch {
            await pool.shutdown()
            FileHandle.standardError.write(Data("gatehouse rules convert --check: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    private func request(_ sources: [ActionSource], handler: String, event: JSONValue, now: Int64) -> FlowRequest {
        FlowRequest(
            trigger: "post-login", handler: handler, event: event, actions: sources, cache: [:], budgetMillis: budgetMillis, now: now)
    }

    /// The event of the way back: transaction metadata set before the redirect survives it.
    static func carryingMetadata(_ event: JSONValue, _ result: FlowResult) -> JSONValue {
        var metadata: [String: JSONValue] = event["transaction"]?["metadata"]?.objectValue ?? [:]
        for command in result.commands where command.method == "api.transaction.setMetadata" {
            guard let key = command.args.first?.stringValue else { continue }
            let value = command.args.count > 1 ? command.args[1] : .null
            metadata[key] = value == .null ? nil : value
        }
        guard var object = event.objectValue else { return event }
        var transaction = object["transaction"]?.objectValue ?? [:]
        transaction["metadata"] = .object(metadata)
        object["transaction"] = .object(transaction)
        return .object(object)
    }
}
