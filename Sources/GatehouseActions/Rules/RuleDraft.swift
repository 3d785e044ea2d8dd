import GatehouseStorage

/// The fields of `POST` / `PATCH /api/v2/rules` (Auth0's CreateRuleRequestContent and
/// UpdateRuleRequestContent; `id` is the server's).
public struct RuleDraft: Codable, Sendable {
    public var name: String?
    public var script: String?
    public var order: Int?
    public var enabled: Bool?
    public var stage: String?

    public init(name: String? = nil, script: String? = nil, order: Int? = nil, enabled: Bool? = nil, stage: String? = nil) {
        self.name = name
        self.script = script
        self.order = order
        self.enabled = enabled
        self.stage = stage
    }
}

/// The body of `PUT /api/v2/rules-configs/{key}`.
public struct RulesConfigValue: Codable, Sendable {
    public var value: String
}

/// The limits Gatehouse keeps for Rules (Auth0 documented none beyond the script's size; a
/// flow runs every enabled rule, so their number is bounded like an action trigger's bindings).
public enum RuleLimits {
    public static let scriptBytes = ActionLimits.codeBytes
    public static let rulesPerTenant = 100
    public static let configurationKeys = 100
    /// Auth0's `key` limit (`PUT /rules-configs/{key}`: "max length: 127 characters").
    public static let keyLength = 127
    public static let valueLength = ActionLimits.secretValueLength
}
