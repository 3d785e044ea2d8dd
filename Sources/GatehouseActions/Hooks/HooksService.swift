import GatehouseCore
import GatehouseSandbox
import GatehouseStorage

/// Legacy Hooks management (`/api/v2/hooks`, `/api/v2/hooks/{id}/secrets`; `auth0-actions.md`
/// §4.1, §6.4): Auth0's validation and defaults, names unique and at most one enabled hook per
/// extensibility point (409), secrets write-only and sealed at rest, dependencies from the npm
/// registry installed when the hook is saved (the same containment as action bundles). What a
/// hook does in a flow is `FlowRunner`'s (`hookStep`).
public struct HooksService: Sendable {
    public let storage: Storage
    let installer: DependencyInstaller

    public init(storage: Storage, installer: DependencyInstaller) {
        self.storage = storage
        self.installer = installer
    }

    /// The hooks service of an Actions service: the same storage and dependency installer.
    public init(actions: ActionsService) {
        self.init(storage: actions.storage, installer: actions.installer)
    }

    static let notFound = ActionsError.notFound("The hook does not exist.", code: "inexistent_hook")
    static let nameTaken = ActionsError.conflict("A hook with the same name already exists; hook names are unique.", code: "conflict")

    static func oneEnabled(_ trigger: String, enabled other: HookRecord) -> ActionsError {
        ActionsError.conflict(
            "Only one enabled hook per extensibility point is allowed: the \(trigger) hook '\(other.name)' (\(other.id)) is enabled;"
                + " disable it first, or create this one with enabled: false.", code: "conflict")
    }

    // MARK: - Hooks

    /// `POST /api/v2/hooks`: `name`, `script` and `triggerId` required; `enabled` defaults to
    /// true (Auth0's default), `dependencies` to none.
    public func create(_ draft: HookDraft) async throws -> HookRecord {
        guard let name = draft.name else { throw ActionsError.invalid("Payload validation error: 'Missing required property: name'.") }
        guard let script = draft.script else {
            throw ActionsError.invalid("Payload validation error: 'Missing required property: script'.")
        }
        guard let trigger = draft.triggerId else {
            throw ActionsError.invalid("Payload validation error: 'Missing required property: triggerId'.")
        }
        guard HookRecord.triggerIDs.contains(trigger) else {
            throw ActionsError.invalid(
                "Payload validation error: 'No enum match for: \"\(trigger)\"' on property triggerId (one of"
                    + " \(HookRecord.triggerIDs.joined(separator: ", "))).")
        }
        try check(name: name, script: script)
        let dependencies = draft.dependencies ?? [:]
        let nodeModules = try await install(dependencies)
        var hook = HookRecord(
            id: RandomIdentifier.prefixed("hk"), name: name, script: script, triggerId: trigger, enabled: draft.enabled ?? true,
            dependencies: dependencies)
        hook.nodeModules = nodeModules
        let created = hook
        return try await storage.transaction { repositories in
            let hooks = try await repositories.hooks.all()
            guard hooks.count < HookLimits.hooksPerTenant else {
                throw ActionsError.invalid(
                    "You have reached the limit of \(HookLimits.hooksPerTenant) hooks; delete one first.", code: "too_many_entities")
            }
            try Self.checkConflicts(created, among: hooks)
            do {
                try await repositories.hooks.insert(created, secrets: [:])
            } catch StorageError.conflict {
                throw Self.nameTaken
            }
            return created
        }
    }

    /// `PATCH /api/v2/hooks/{id}`: the fields given replace the stored ones (`triggerId` cannot
    /// change, as on Auth0).
    public func update(_ id: String, with draft: HookDraft) async throws -> HookRecord {
        if draft.triggerId != nil {
            throw ActionsError.invalid(
                "Payload validation error: 'Additional properties not allowed: triggerId' (a hook's extensibility point cannot"
                    + " change; create another hook).")
        }
        try check(name: draft.name, script: draft.script)
        var nodeModules: String?
        if let dependencies = draft.dependencies { nodeModules = try await install(dependencies) }
        let installed = nodeModules
        return try await storage.transaction { repositories in
            guard var hook = try await repositories.hooks.get(id) else { throw Self.notFound }
            if let name = draft.name { hook.name = name }
            if let script = draft.script { hook.script = script }
            if let enabled = draft.enabled { hook.enabled = enabled }
            if let dependencies = draft.dependencies {
                hook.dependencies = dependencies
                hook.nodeModules = installed
            }
            let updated = hook
            try Self.checkConflicts(updated, among: try await repositories.hooks.all())
            do {
                try await repositories.hooks.update(updated)
            } catch StorageError.conflict {
                throw Self.nameTaken
            }
            return updated
        }
    }

    public func get(_ id: String) async throws -> HookRecord {
        guard let hook = try await storage.read({ try await $0.hooks.get(id) }) else { throw Self.notFound }
        return hook
    }

    public func delete(_ id: String) async throws {
        guard try await storage.transaction({ try await $0.hooks.delete(id) }) else { throw Self.notFound }
    }

    /// A taken name, or another enabled hook of the same extensibility point.
    static func checkConflicts(_ hook: HookRecord, among hooks: [HookRecord]) throws {
        let others = hooks.filter { $0.id != hook.id }
        if others.contains(where: { $0.name == hook.name }) { throw nameTaken }
        if hook.enabled, let enabled = others.first(where: { $0.enabled && $0.triggerId == hook.triggerId }) {
            throw oneEnabled(hook.triggerId, enabled: enabled)
        }
    }

    func check(name: String?, script: String?) throws {
        if let name, !RulesService.isValidName(name) {
            throw ActionsError.invalid(
                "Payload validation error: 'String does not match pattern ^[a-zA-Z0-9]([ \\-a-zA-Z0-9]*[a-zA-Z0-9])?$: \(name)'"
                    + " on property name (letters, digits, spaces and hyphens, starting and ending with a letter or digit).")
        }
        if let script {
            guard !script.isEmpty else {
                throw ActionsError.invalid("Payload validation error: 'String is too short (0 chars), minimum 1' on property script.")
            }
            guard script.utf8.count <= HookLimits.scriptBytes else {
                throw ActionsError.invalid("Payload validation error: script is larger than the limit of 100 kB.", code: "code_too_large")
            }
        }
    }

    /// Checks the dependencies (registry packages only, unless the operator allowed more
    /// sources) and installs them into their bundle; `nil` without any. A set that does not
    /// install is refused now rather than failing every flow later.
    func install(_ dependencies: [String: String]) async throws -> String? {
        guard !dependencies.isEmpty else { return nil }
        guard dependencies.count <= HookLimits.dependenciesPerHook else {
            throw ActionsError.invalid("Payload validation error: at most \(HookLimits.dependenciesPerHook) dependencies per hook.")
        }
        let list = dependencies.sorted { $0.key < $1.key }.map { ActionDependency(name: $0.key, version: $0.value) }
        for dependency in list {
            if let problem = installer.sources.problem(with: dependency) {
                throw ActionsError.invalid("Payload validation error: invalid dependency \(problem).", code: "invalid_dependency")
            }
        }
        do {
            return try await installer.install(list)
        } catch {
            throw ActionsError.invalid(
                "The hook's dependencies could not be installed (\(error)); check the names and versions, or try again if the"
                    + " registry was unreachable.", code: "dependency_install_failed")
        }
    }

    // MARK: - Secrets

    /// `GET /api/v2/hooks/{id}/secrets`: the names, each value shown as `_VALUE_NOT_SHOWN_`.
    public func secretNames(_ id: String) async throws -> [String] {
        try await storage.read { repositories in
            guard try await repositories.hooks.get(id) != nil else { throw Self.notFound }
            return try await repositories.hooks.secrets(id).keys.sorted()
        }
    }

    /// `POST /api/v2/hooks/{id}/secrets`: adds secrets; a name the hook already has is 409.
    public func addSecrets(_ id: String, _ secrets: [String: String]) async throws {
        try await changeSecrets(id) { current in
            if let taken = secrets.keys.sorted().first(where: { current[$0] != nil }) {
                throw ActionsError.conflict(
                    "The hook already has a secret named \(taken); update it with PATCH instead.", code: "conflict")
            }
            return current.merging(try Self.checked(secrets)) { _, new in new }
        }
    }

    /// `PATCH /api/v2/hooks/{id}/secrets`: replaces the values of existing secrets; a name the
    /// hook does not have is 404.
    public func updateSecrets(_ id: String, _ secrets: [String: String]) async throws {
        try await changeSecrets(id) { current in
            if let missing = secrets.keys.sorted().first(where: { current[$0] == nil }) {
                throw ActionsError.notFound(
                    "The hook has no secret named \(missing); add it with POST first.", code: "inexistent_hook_secret")
            }
            return current.merging(try Self.checked(secrets)) { _, new in new }
        }
    }

    /// `DELETE /api/v2/hooks/{id}/secrets` with a list of names: removes them (names the hook
    /// does not have are ignored).
    public func deleteSecrets(_ id: String, names: [String]) async throws {
        try await changeSecrets(id) { current in current.filter { !names.contains($0.key) } }
    }

    private func changeSecrets(
        _ id: String, _ change: @Sendable @escaping ([String: String]) throws -> [String: String]
    ) async throws {
        try await storage.transaction { repositories in
            guard try await repositories.hooks.get(id) != nil else { throw Self.notFound }
            let next = try change(try await repositories.hooks.secrets(id))
            guard next.count <= HookLimits.secretsPerHook else {
                throw ActionsError.invalid("Payload validation error: at most \(HookLimits.secretsPerHook) secrets per hook.")
            }
            try await repositories.hooks.setSecrets(id, next)
        }
    }

    static func checked(_ secrets: [String: String]) throws -> [String: String] {
        guard !secrets.isEmpty else { throw ActionsError.invalid("Payload validation error: give at least one secret.") }
        for (name, value) in secrets {
            guard !name.isEmpty, name.count <= ActionLimits.secretNameLength,
                name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
            else {
                throw ActionsError.invalid(
                    "Payload validation error: invalid secret name '\(name)' (letters, digits, '_' and '-', at most"
                        + " \(ActionLimits.secretNameLength) characters).")
            }
            guard value.count <= HookLimits.secretValueLength else {
                throw ActionsError.invalid(
                    "Payload validation error: the value of secret \(name) is longer than \(HookLimits.secretValueLength) characters.")
            }
        }
        return secrets
    }
}
