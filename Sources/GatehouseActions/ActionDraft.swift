import GatehouseCore
import GatehouseStorage

/// The fields of `POST`/`PATCH /api/v2/actions/actions` (Auth0's CreateActionRequestContent).
public struct ActionDraft: Codable, Sendable {
    public var name: String?
    public var supported_triggers: [TriggerReference]?
    public var code: String?
    public var dependencies: [DependencyRecord]?
    public var runtime: String?
    public var secrets: [SecretInput]?
    public var deploy: Bool?

    public struct SecretInput: Codable, Sendable {
        public var name: String
        public var value: String?
    }

    public init() {}
}
