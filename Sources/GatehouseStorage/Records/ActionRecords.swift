import GatehouseCore

/// A trigger an action is written for (`supported_triggers[]`).
public struct TriggerReference: Codable, Sendable, Equatable, Hashable {
    public var id: String
    public var version: String

    public init(id: String, version: String) {
        self.id = id
        self.version = version
    }
}

/// An npm dependency as the Management API shows it.
public struct DependencyRecord: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var version: String
    public var registry_url: String?

    public init(name: String, version: String, registry_url: String? = nil) {
        self.name = name
        self.version = version
        self.registry_url = registry_url
    }
}

/// A secret as responses show it: its name and when it was set, never its value.
public struct SecretRecord: Codable, Sendable, Equatable {
    public var name: String
    public var updated_at: String

    public init(name: String, updated_at: String) {
        self.name = name
        self.updated_at = updated_at
    }
}

/// A build problem (`errors[]`), as Auth0 reports them.
public struct BuildErrorRecord: Codable, Sendable, Equatable {
    public var id: String
    public var msg: String
    public var url: String?

    public init(id: String, msg: String, url: String? = nil) {
        self.id = id
        self.msg = msg
        self.url = url
    }
}

/// What an action version runs: shared by the draft and the versions.
public struct ActionContent: Codable, Sendable, Equatable {
    public var code: String
    public var dependencies: [DependencyRecord]
    public var runtime: String
    public var supported_triggers: [TriggerReference]
    /// Names and dates; the values are in `sealedSecrets` of the row.
    public var secrets: [SecretRecord]

    public init(
        code: String, dependencies: [DependencyRecord], runtime: String, supported_triggers: [TriggerReference],
        secrets: [SecretRecord]
    ) {
        self.code = code
        self.dependencies = dependencies
        self.runtime = runtime
        self.supported_triggers = supported_triggers
        self.secrets = secrets
    }
}

/// An action and its draft (Auth0's Action object without the embedded deployed version).
public struct ActionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var content: ActionContent
    /// Build status of the draft: `pending`, `building`, `built`, `failed`.
    public var status: String
    public var errors: [BuildErrorRecord]
    public var built_at: String?
    /// The `node_modules` of the draft's dependency bundle, once built.
    public var node_modules: String?
    public var deployed_version_id: String?
    public var created_at: String
    public var updated_at: String

    public init(
        id: String, name: String, content: ActionContent, status: String = "pending", errors: [BuildErrorRecord] = [],
        built_at: String? = nil, node_modules: String? = nil, deployed_version_id: String? = nil, created_at: String,
        updated_at: String
    ) {
        self.id = id
        self.name = name
        self.content = content
        self.status = status
        self.errors = errors
        self.built_at = built_at
        self.node_modules = node_modules
        self.deployed_version_id = deployed_version_id
        self.created_at = created_at
        self.updated_at = updated_at
    }
}

/// An immutable, numbered version of an action, made by a deploy.
public struct ActionVersionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var action_id: String
    public var number: Int
    public var content: ActionContent
    public var status: String
    public var deployed: Bool
    public var node_modules: String?
    public var built_at: String?
    public var created_at: String
    public var updated_at: String
    /// Gatehouse: who deployed this version — the operator's e-mail or the application's name
    /// (absent for versions deployed before it was recorded).
    public var deployed_by: String?

    public init(
        id: String, action_id: String, number: Int, content: ActionContent, status: String, deployed: Bool,
        node_modules: String?, built_at: String?, created_at: String, updated_at: String, deployed_by: String? = nil
    ) {
        self.deployed_by = deployed_by
        self.id = id
        self.action_id = action_id
        self.number = number
        self.content = content
        self.status = status
        self.deployed = deployed
        self.node_modules = node_modules
        self.built_at = built_at
        self.created_at = created_at
        self.updated_at = updated_at
    }
}

/// One position in a trigger's ordered list of bound actions.
public struct ActionBindingRecord: Codable, Sendable, Equatable {
    public var id: String
    public var trigger_id: String
    public var action_id: String
    public var display_name: String
    public var created_at: EpochMillis
    /// Gatehouse extension: when the action fails, the flow goes on without its commands
    /// instead of failing the login (off by default, as on Auth0).
    public var fail_open: Bool

    public init(
        id: String, trigger_id: String, action_id: String, display_name: String, created_at: EpochMillis, fail_open: Bool = false
    ) {
        self.id = id
        self.trigger_id = trigger_id
        self.action_id = action_id
        self.display_name = display_name
        self.created_at = created_at
        self.fail_open = fail_open
    }
}
