/// Auth0's Management API scope names (the subset of resources Gatehouse serves plus the actions
/// family used by the Actions engine). Tokens for `{issuer}api/v2/` carry these.
public enum ManagementScopes {
    public static let all: [String] =
        resources.flatMap { resource in
            ["read", "create", "update", "delete"].map { "\($0):\(resource)" }
        } + [
            "read:client_keys", "update:client_keys", "read:logs", "read:logs_users", "read:role_members", "read:attack_protection",
            "update:attack_protection",
        ]

    static let resources = [
        "users", "users_app_metadata", "clients", "resource_servers", "client_grants", "connections", "roles",
        "actions", "rules", "hooks", "tenant_settings", "logs", "signing_keys",
    ]
}
