/// Auth0's Management API scope names (the subset of resources Gatehouse serves plus the actions
/// family used by the Actions engine). Tokens for `{issuer}api/v2/` carry these.
public enum ManagementScopes {
    public static let all: [String] =
        resources.flatMap { resource in
            ["read", "create", "update", "delete"].map { "\($0):\(resource)" }
        } + [
            "read:client_keys", "update:client_keys", "read:logs", "read:logs_users", "read:role_members", "read:sessions",
            "delete:sessions",
            "read:refresh_tokens", "delete:refresh_tokens", "read:attack_protection",
            "update:attack_protection", "read:guardian_factors", "update:guardian_factors", "read:guardian_enrollments",
            "delete:guardian_enrollments", "read:authentication_methods", "delete:authentication_methods",
            "create:user_tickets",
            "read:email_provider", "create:email_provider", "update:email_provider", "delete:email_provider",
            "read:email_templates", "create:email_templates", "update:email_templates",
            "read:branding", "update:branding",
            "read:phone_providers", "create:phone_providers", "update:phone_providers", "delete:phone_providers",
            "read:rules_configs", "update:rules_configs", "delete:rules_configs",
        ]

    static let resources = [
        "users", "users_app_metadata", "clients", "resource_servers", "client_grants", "connections", "roles",
        "actions", "rules", "hooks", "tenant_settings", "logs", "signing_keys",
    ]

    /// The only Management API scopes an end user's token can carry, whatever was asked for, the
    /// grant, or what an action adds; they act on that user alone ("Get Management API Access
    /// Tokens for Single-Page Applications", Auth0 docs). Every other scope comes from a client
    /// grant through `client_credentials`.
    public static let currentUser: Set<String> = [
        "read:current_user", "update:current_user_metadata", "create:current_user_metadata",
        "delete:current_user_metadata", "create:current_user_device_credentials",
        "delete:current_user_device_credentials", "update:current_user_identities",
    ]

    /// What the dashboard's pages use, and so what the `Gatehouse Operator` role grants: the
    /// Actions family and the tenant's logs, users, applications, APIs, roles and their members.
    /// A dashboard token never carries a scope outside this list, whatever roles its user holds
    /// (`OperatorAccess`); signing keys, tenant settings, e-mail and phone providers, branding and
    /// attack protection stay with `client_credentials` callers.
    public static let operatorScopes: [String] =
        ["actions", "users", "users_app_metadata", "clients", "resource_servers", "client_grants", "roles"].flatMap { resource in
            ["read", "create", "update", "delete"].map { "\($0):\(resource)" }
        } + [
            "read:logs", "read:logs_users", "read:role_members", "read:connections", "read:client_keys", "update:client_keys",
            "read:sessions", "delete:sessions", "read:guardian_enrollments", "delete:guardian_enrollments",
            "read:authentication_methods", "delete:authentication_methods", "read:rules",
        ]
}
