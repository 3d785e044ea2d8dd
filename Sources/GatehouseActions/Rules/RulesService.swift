import GatehouseCore
import GatehouseStorage

/// Legacy Rules management (`/api/v2/rules`, `/api/v2/rules-configs`; `auth0-actions.md` §4.1,
/// §6): Auth0's validation and defaults, name and order unique (409), configuration values
/// write-only and sealed at rest. What the rules do at login is `FlowRunner`'s (`RuleSteps`).
public struct RulesService: Sendable {
    public let storage: Storage

    public init(storage: Storage) {
        self.storage = storage
    }

    static let notFound = ActionsError.notFound("The rule does not exist.", code: "inexistent_rule")
    static let conflict = ActionsError.conflict(
        "A rule with the same name or order already exists; rule names and orders are unique.", code: "conflict")

    /// Auth0's rule name pattern: `^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$`.
    static func isValidName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, name.count <= 255 else { return false }
        func alphanumeric(_ s: Unicode.Scalar) -> Bool { s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s)) }
        return alphanumeric(first) && alphanumeric(last) && scalars.allSatisfy { alphanumeric($0) || $0 == " " || $0 == "-" }
    }

    /// Auth0's configuration key pattern: `^[A-Za-z0-9_\-@*+:]*$`, 1 to 127 characters.
    static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= RuleLimits.keyLength
            && key.unicodeScalars.allSatisfy { s in
                s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s) || "_-@*+:".unicodeScalars.contains(s))
            }
    }

    // MARK: - Rules

    /// `POST /api/v2/rules`: `name` and `script` required; `order` defaults to one more than the
    /// highest (Auth0's default), `enabled` to true, `stage` to `login_success`.
    public func create(_ draft: RuleDraft) async throws -> RuleRecord {
        guard let name = draft.name else { throw ActionsError.invalid("Payload validation error: 'Missing required property: name'.") }
        guard let script = draft.script else {
            throw ActionsError.invalid("Payload validation error: 'Missing required property: script'.")
        }
        try check(name: name, script: script, order: draft.order, stage: draft.stage)
        return try await storage.transaction { repositories in
            let rules = try await repositories.rules.all()
            guard rules.count < RuleLimits.rulesPerTenant else {
                throw ActionsError.invalid(
                    "You have reached the limit of \(RuleLimits.rulesPerTenant) rules; delete one or merge rules first.",
                    code: "too_many_entities")
            }
            let order = draft.order ?? ((rules.map(\.order).max() ?? 0) + 1)
            let rule = RuleRecord(
                id: RandomIdentifier.prefixed("rul"), name: name, script: script, order: order, enabled: draft.enabled ?? true)
            do {
                try await repositories.rules.insert(rule)
            } catch StorageError.conflict {
                throw Self.conflict
            }
            return rule
        }
    }

    /// `PATCH /api/v2/rules/{id}`: the fields given replace the stored ones.
    public func update(_ id: String, with draft: RuleDraft) async throws -> RuleRecord {
        try check(name: draft.name, script: draft.script, order: draft.order, stage: draft.stage)
        return try await storage.transaction { repositories in
            guard var rule = try await repositories.rules.get(id) else { throw Self.notFound }
            if let name = draft.name { rule.name = name }
            if let script = draft.script { rule.script = script }
            if let order = draft.order { rule.order = order }
            if let enabled = draft.enabled { rule.enabled = enabled }
            let updated = rule
            do {
                try await repositories.rules.update(updated)
            } catch StorageError.conflict {
                throw Self.conflict
            }
            return updated
        }
    }

    public func get(_ id: String) async throws -> RuleRecord {
        guard let rule = try await storage.read({ try await $0.rules.get(id) }) else { throw Self.notFound }
        return rule
    }

    public func delete(_ id: String) async throws {
        guard try await storage.transaction({ try await $0.rules.delete(id) }) else { throw Self.notFound }
    }

    func check(name: String?, script: String?, order: Int?, stage: String?) throws {
        if let name, !Self.isValidName(name) {
            throw ActionsError.invalid(
                "Payload validation error: 'String does not match pattern ^[a-zA-Z0-9]([ \\-a-zA-Z0-9]*[a-zA-Z0-9])?$: \(name)'"
                    + " on property name (letters, digits, spaces and hyphens, starting and ending with a letter or digit).")
        }
        if let script {
            guard !script.isEmpty else {
                throw ActionsError.invalid("Payload validation error: 'String is too short (0 chars), minimum 1' on property script.")
            }
            guard script.utf8.count <= RuleLimits.scriptBytes else {
                throw ActionsError.invalid(
                    "Payload validation error: script is larger than the limit of 100 kB.", code: "code_too_large")
            }
        }
        if let order, order < 0 {
            throw ActionsError.invalid("Payload validation error: 'Value \(order) is less than minimum 0' on property order.")
        }
        if let stage, stage != "login_success" {
            throw ActionsError.invalid(
                "Payload validation error: stage '\(stage)' is not supported; Gatehouse runs rules at the login_success stage only.")
        }
    }

    // MARK: - Configuration

    /// `PUT /api/v2/rules-configs/{key}`: sets (or replaces) one value rules read as
    /// `configuration.KEY`.
    public func setConfiguration(key: String, value: String) async throws {
        guard Self.isValidKey(key) else {
            throw ActionsError.invalid(
                "Path validation error: 'String does not match pattern ^[A-Za-z0-9_\\-@*+:]*$' on property key"
                    + " (1 to \(RuleLimits.keyLength) characters).")
        }
        guard value.count <= RuleLimits.valueLength else {
            throw ActionsError.invalid("Payload validation error: value is longer than \(RuleLimits.valueLength) characters.")
        }
        try await storage.transaction { repositories in
            let keys = try await repositories.rules.configurationKeys()
            guard keys.contains(key) || keys.count < RuleLimits.configurationKeys else {
                throw ActionsError.invalid(
                    "You have reached the limit of \(RuleLimits.configurationKeys) rules-configs keys; delete one first.",
                    code: "too_many_entities")
            }
            try await repositories.rules.setConfiguration(key: key, value: value)
        }
    }

    public func deleteConfiguration(key: String) async throws {
        guard try await storage.transaction({ try await $0.rules.deleteConfiguration(key: key) }) else {
            throw ActionsError.notFound("The rules-configs key \(key) does not exist.", code: "inexistent_rules_config")
        }
    }
}
