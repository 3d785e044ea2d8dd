import GatehouseCore

/// A legacy Auth0 Rule (`GET /api/v2/rules`; `auth0-actions.md` §4.1, §6): a
/// `function (user, context, callback)` script run, in `order`, before the post-login actions.
public struct RuleRecord: Codable, Sendable, Equatable {
    /// `rul_` and 16 random characters, as Auth0 names them.
    public var id: String
    /// Letters, digits, spaces and hyphens, starting and ending with a letter or digit; unique.
    public var name: String
    public var script: String
    /// Lower runs first; unique among the tenant's rules.
    public var order: Int
    public var enabled: Bool
    /// Always `login_success`: the other stages Auth0 once had (`login_failure`, `pre_authorize`)
    /// never ran for tenants.
    public var stage: String

    public init(id: String, name: String, script: String, order: Int, enabled: Bool, stage: String = "login_success") {
        self.id = id
        self.name = name
        self.script = script
        self.order = order
        self.enabled = enabled
        self.stage = stage
    }
}
