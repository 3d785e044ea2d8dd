import Foundation
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage
import Logging

/// Actions management (`auth0-actions.md` §4.6, §5): drafts that build in the background,
/// immutable numbered versions made by deploys, rollbacks, and the ordered bindings of triggers.
public struct ActionsService: Sendable {
    public let storage: Storage
    public let catalog: TriggerCatalog
    let installer: DependencyInstaller
    let checker: CodeChecker
    public let sandbox: SandboxPool?
    let logger: Logger

    public init(
        storage: Storage, catalog: TriggerCatalog, sandboxConfiguration: SandboxConfiguration, sandbox: SandboxPool?,
        logger: Logger
    ) {
        self.storage = storage
        self.catalog = catalog
        self.installer = DependencyInstaller(configuration: sandboxConfiguration)
        self.checker = CodeChecker(configuration: sandboxConfiguration)
        self.sandbox = sandbox
        self.logger = logger
    }

    static let notFound = ActionsError.notFound("The action does not exist.", code: "action_not_found")

    // MARK: - Drafts

    public func create(_ draft: ActionDraft) async throws -> ActionRecord {
        guard let name = draft.name, !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= ActionLimits.nameLength else {
            throw ActionsError.invalid("Payload validation error: 'Missing required property: name' (1 to 255 characters).")
        }
        guard let triggers = draft.supported_triggers else {
            throw ActionsError.invalid("Payload validation error: 'Missing required property: supported_triggers'.")
        }
        let trigger = try validTrigger(triggers)
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        let secrets = try mergedSecrets(draft.secrets, existing: [:], existingRecords: [], now: now)
        let content = ActionContent(
            code: draft.code ?? "exports.\(trigger.executeHandler) = async (event, api) => {\n};\n",
            dependencies: try validDependencies(draft.dependencies ?? []), runtime: try validRuntime(draft.runtime, trigger),
            supported_triggers: triggers, secrets: secrets.records)
        try checkCodeSize(content.code)
        let action = ActionRecord(
            id: UUID().uuidString.lowercased(), name: name, content: content, created_at: now, updated_at: now)
        try await storage.transaction { repositories in
            guard try await repositories.actions.count() < ActionLimits.actionsPerTenant else {
                throw ActionsError.invalid(
                    "You have reached the limit of \(ActionLimits.actionsPerTenant) actions per tenant.", code: "too_many_actions")
            }
            do {
                try await repositories.actions.insert(action, secrets: secrets.values)
            } catch StorageError.conflict {
                throw ActionsError.conflict("An action with the name \(name) already exists.", code: "action_conflict")
            }
        }
        startBuild(action.id, revision: action.updated_at, deployAfter: draft.deploy == true)
        return action
    }

    public func update(_ id: String, with draft: ActionDraft) async throws -> ActionRecord {
        guard var action = try await storage.read({ try await $0.actions.get(id) }) else { throw Self.notFound }
        let existing = try await storage.read { try await $0.actions.secrets(ofAction: id) }
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        if let name = draft.name {
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= ActionLimits.nameLength else {
                throw ActionsError.invalid("Payload validation error: 'name' must be 1 to 255 characters.")
            }
            action.name = name
        }
        if let triggers = draft.supported_triggers {
            let trigger = try validTrigger(triggers)
            action.content.supported_triggers = triggers
            if draft.runtime == nil { action.content.runtime = try validRuntime(action.content.runtime, trigger) }
        }
        let trigger = try validTrigger(action.content.supported_triggers)
        if let runtime = draft.runtime { action.content.runtime = try validRuntime(runtime, trigger) }
        if let code = draft.code {
            try checkCodeSize(code)
            action.content.code = code
        }
        if let dependencies = draft.dependencies { action.content.dependencies = try validDependencies(dependencies) }
        var secretValues: [String: String]?
        if let secrets = draft.secrets {
            let merged = try mergedSecrets(secrets, existing: existing, existingRecords: action.content.secrets, now: now)
            action.content.secrets = merged.records
            secretValues = merged.values
        }
        action.status = "pending"
        action.errors = []
        action.updated_at = now
        let saved = action
        let newSecrets = secretValues
        do {
            try await storage.read { try await $0.actions.update(saved, secrets: newSecrets) }
        } catch StorageError.conflict {
            throw ActionsError.conflict("An action with the name \(saved.name) already exists.", code: "action_conflict")
        }
        startBuild(id, revision: now, deployAfter: draft.deploy == true)
        return saved
    }

    /// Deletes an action and its versions. A bound action is refused with Auth0's 409 unless
    /// `force`, which removes its bindings first.
    public func delete(_ id: String, force: Bool) async throws {
        try await storage.transaction { repositories in
            guard try await repositories.actions.get(id) != nil else { throw Self.notFound }
            let bindings = try await repositories.actions.bindings(action: id)
            if !bindings.isEmpty && !force {
                throw ActionsError.conflict("Unable to delete an action bound to a trigger.", code: "action_is_bound")
            }
            try await repositories.actions.delete(id)
        }
    }

    // MARK: - Validation

    func validTrigger(_ triggers: [TriggerReference]) throws -> TriggerCatalog.Trigger {
        guard triggers.count == 1, let reference = triggers.first else {
            throw ActionsError.invalid("Payload validation error: an action supports exactly one trigger (supported_triggers).")
        }
        guard let trigger = catalog.trigger(reference.id) else {
            throw ActionsError.invalid(
                "Payload validation error: unknown trigger \(reference.id); one of \(catalog.triggers.keys.sorted().joined(separator: ", "))."
            )
        }
        let versions = [trigger.version] + trigger.compatibleTriggers.compactMap { $0["version"]?.stringValue }
        guard versions.contains(reference.version) else {
            throw ActionsError.invalid(
                "Payload validation error: trigger \(reference.id) version \(reference.version) is not supported (use \(trigger.version)).")
        }
        return trigger
    }

    func validRuntime(_ runtime: String?, _ trigger: TriggerCatalog.Trigger) throws -> String {
        guard let runtime else { return trigger.defaultRuntime }
        guard trigger.runtimes.contains(runtime) else {
            throw ActionsError.invalid(
                "Payload validation error: runtime \(runtime) is not available; one of \(trigger.runtimes.joined(separator: ", ")).")
        }
        return runtime
    }

    func checkCodeSize(_ code: String) throws {
        guard code.utf8.count <= ActionLimits.codeBytes else {
            throw ActionsError.invalid("Payload validation error: code is larger than the limit of 100 kB.", code: "code_too_large")
        }
    }

    func validDependencies(_ dependencies: [DependencyRecord]) throws -> [DependencyRecord] {
        guard dependencies.count <= ActionLimits.dependenciesPerAction else {
            throw ActionsError.invalid("Payload validation error: at most \(ActionLimits.dependenciesPerAction) dependencies per action.")
        }
        for dependency in dependencies {
            if let problem = installer.sources.problem(with: ActionDependency(name: dependency.name, version: dependency.version)) {
                throw ActionsError.invalid("Payload validation error: invalid dependency \(problem).", code: "invalid_dependency")
            }
        }
        return dependencies
    }

    /// The new secret list: every name given; a value left out keeps the stored one (write-only
    /// values are never echoed, so clients re-send names without them).
    func mergedSecrets(
        _ input: [ActionDraft.SecretInput]?, existing: [String: String], existingRecords: [SecretRecord], now: String
    ) throws -> (records: [SecretRecord], values: [String: String]) {
        guard let input else { return (existingRecords, existing) }
        guard input.count <= ActionLimits.secretsPerAction else {
            throw ActionsError.invalid("Payload validation error: at most \(ActionLimits.secretsPerAction) secrets per action.")
        }
        var records: [SecretRecord] = []
        var values: [String: String] = [:]
        for secret in input {
            guard !secret.name.isEmpty, secret.name.count <= ActionLimits.secretNameLength,
                secret.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), values[secret.name] == nil
            else { throw ActionsError.invalid("Payload validation error: invalid or repeated secret name \(secret.name).") }
            guard let value = secret.value ?? existing[secret.name] else {
                throw ActionsError.invalid("Payload validation error: secret \(secret.name) needs a value.")
            }
            guard value.count <= ActionLimits.secretValueLength else {
                throw ActionsError.invalid("Payload validation error: secret \(secret.name) is longer than 4096 characters.")
            }
            let unchanged = secret.value == nil || existing[secret.name] == secret.value
            records.append(
                SecretRecord(
                    name: secret.name,
                    updated_at: unchanged ? existingRecords.first { $0.name == secret.name }?.updated_at ?? now : now))
            values[secret.name] = value
        }
        return (records, values)
    }
}
