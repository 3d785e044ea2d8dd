import GatehouseStorage

/// The fields of `POST` / `PATCH /api/v2/hooks` (Auth0's CreateHookRequestContent and
/// UpdateHookRequestContent: `triggerId` only on create; `id` is the server's).
public struct HookDraft: Codable, Sendable {
    public var name: String?
    public var script: String?
    public var enabled: Bool?
    public var dependencies: [String: String]?
    public var triggerId: String?

    public init(
        name: String? = nil, script: String? = nil, enabled: Bool? = nil, dependencies: [String: String]? = nil,
        triggerId: String? = nil
    ) {
        self.name = name
        self.script = script
        self.enabled = enabled
        self.dependencies = dependencies
        self.triggerId = triggerId
    }
}

/// The limits Gatehouse keeps for Hooks: the same as an action's (a hook is one more step of a
/// flow, with its own secrets and dependencies).
public enum HookLimits {
    public static let scriptBytes = ActionLimits.codeBytes
    public static let hooksPerTenant = 50
    public static let secretsPerHook = ActionLimits.secretsPerAction
    public static let secretValueLength = ActionLimits.secretValueLength
    public static let dependenciesPerHook = ActionLimits.dependenciesPerAction
    /// What `GET /api/v2/hooks/{id}/secrets` shows instead of a value (Auth0's placeholder: hook
    /// secret values are write-only).
    public static let hiddenSecretValue = "_VALUE_NOT_SHOWN_"
}
