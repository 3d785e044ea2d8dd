import GatehouseCore

/// A source of users. Only database connections (`strategy: "auth0"`) exist so far.
public struct ConnectionRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var display_name: String?
    public var strategy: String
    public var enabled_clients: [String]
    public var realms: [String]
    public var is_domain_connection: Bool
    public var options: Options
    public var metadata: [String: String]

    public struct Options: Codable, Sendable, Equatable {
        public var requires_username: Bool
        public var disable_signup: Bool
        public var brute_force_protection: Bool
        /// Minimum password length (Auth0's `password_complexity_options.min_length`).
        public var password_min_length: Int
        /// Auth0's `passwordPolicy`: `none`, `low`, `fair`, `good` or `excellent` (`nil`: `none`,
        /// with `password_min_length` as the only rule).
        public var passwordPolicy: String?
        /// Auth0's `password_history`: the last `size` passwords (up to 24) may not be used again.
        public var password_history: PasswordHistory?
        /// Auth0's `password_no_personal_info`: no name, username, nickname or e-mail in the password.
        public var password_no_personal_info: Toggle?
        /// Auth0's `password_dictionary`: no common password and none of the tenant's words.
        public var password_dictionary: PasswordDictionary?

        public struct PasswordHistory: Codable, Sendable, Equatable {
            public var enable: Bool
            public var size: Int?
            public init(enable: Bool, size: Int? = nil) {
                self.enable = enable
                self.size = size
            }
        }

        public struct Toggle: Codable, Sendable, Equatable {
            public var enable: Bool
            public init(enable: Bool) { self.enable = enable }
        }

        public struct PasswordDictionary: Codable, Sendable, Equatable {
            public var enable: Bool
            public var dictionary: [String]?
            public init(enable: Bool, dictionary: [String]? = nil) {
                self.enable = enable
                self.dictionary = dictionary
            }
        }

        public init(
            requires_username: Bool = false, disable_signup: Bool = false, brute_force_protection: Bool = true,
            password_min_length: Int = 8, passwordPolicy: String? = nil, password_history: PasswordHistory? = nil,
            password_no_personal_info: Toggle? = nil, password_dictionary: PasswordDictionary? = nil
        ) {
            self.requires_username = requires_username
            self.disable_signup = disable_signup
            self.brute_force_protection = brute_force_protection
            self.password_min_length = password_min_length
            self.passwordPolicy = passwordPolicy
            self.password_history = password_history
            self.password_no_personal_info = password_no_personal_info
            self.password_dictionary = password_dictionary
        }
    }

    public init(
        id: String, name: String, display_name: String? = nil, strategy: String = "auth0",
        enabled_clients: [String] = [], realms: [String]? = nil, is_domain_connection: Bool = false,
        options: Options = .init(), metadata: [String: String] = [:]
    ) {
        self.id = id
        self.name = name
        self.display_name = display_name
        self.strategy = strategy
        self.enabled_clients = enabled_clients
        self.realms = realms ?? [name]
        self.is_domain_connection = is_domain_connection
        self.options = options
        self.metadata = metadata
    }
}

/// A named set of permissions that users can be given.
public struct RoleRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var description: String?

    public init(id: String, name: String, description: String? = nil) {
        self.id = id
        self.name = name
        self.description = description
    }
}

/// One permission (an API scope) that a role grants.
public struct PermissionRecord: Codable, Sendable, Equatable, Hashable {
    public var resource_server_identifier: String
    public var permission_name: String

    public init(resource_server_identifier: String, permission_name: String) {
        self.resource_server_identifier = resource_server_identifier
        self.permission_name = permission_name
    }
}
