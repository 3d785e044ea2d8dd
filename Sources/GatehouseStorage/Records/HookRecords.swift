import GatehouseCore

/// A legacy Auth0 Hook (`GET /api/v2/hooks`; `auth0-actions.md` §4.1, §6.4): a webtask-style
/// `module.exports = function (…, cb)` script run before the actions of its extensibility point
/// (`triggerId`). At most one hook per extensibility point is enabled.
public struct HookRecord: Codable, Sendable, Equatable {
    /// The five extensibility points Auth0 offered hooks for, by `triggerId`.
    public static let triggerIDs = [
        "credentials-exchange", "pre-user-registration", "post-user-registration", "post-change-password", "send-phone-message",
    ]

    public var id: String
    /// Letters, digits, spaces and hyphens, starting and ending with a letter or digit; unique.
    public var name: String
    public var script: String
    /// The extensibility point; fixed at creation (Auth0's PATCH does not take it).
    public var triggerId: String
    public var enabled: Bool
    /// npm registry packages, `{name: version}` as Auth0 answers them.
    public var dependencies: [String: String]
    /// The installed bundle of `dependencies` (`DependencyInstaller`), `nil` without any. Kept
    /// with the hook, never answered by the API.
    public var nodeModules: String?

    public init(
        id: String, name: String, script: String, triggerId: String, enabled: Bool, dependencies: [String: String] = [:],
        nodeModules: String? = nil
    ) {
        self.id = id
        self.name = name
        self.script = script
        self.triggerId = triggerId
        self.enabled = enabled
        self.dependencies = dependencies
        self.nodeModules = nodeModules
    }
}
