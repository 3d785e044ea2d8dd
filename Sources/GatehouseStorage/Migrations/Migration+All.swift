extension Migration {
    /// Every migration, oldest first. Append; never edit one that has shipped.
    static let all: [Migration] = [
        initialSchema, configurationVersion, actions, observability, postLogin, serverTrust, tokenLifecycle,
        loginSuspensions, multifactor, outbox, emailDelivery, passwordHistory, accountTickets, rules, dashboardSessions, hooks,
    ]

    /// Tenant, identity and OAuth state. Aggregates keep their Auth0-shaped body in `document`
    /// (JSON text) and lift into columns only what is looked up or constrained.
    static let initialSchema = Migration(
        version: 1,
        name: "initial schema",
        statements: [
            "CREATE TABLE tenant_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE signing_keys (
                kid TEXT PRIMARY KEY, sealed_private_key TEXT NOT NULL,
                created_at BIGINT NOT NULL, retired_at BIGINT)
            """,
            """
            CREATE TABLE connections (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE clients (
                client_id TEXT PRIMARY KEY, sealed_secret TEXT, document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE resource_servers (
                id TEXT PRIMARY KEY, identifier TEXT NOT NULL UNIQUE, document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE client_grants (
                id TEXT PRIMARY KEY, client_id TEXT NOT NULL, audience TEXT NOT NULL, document TEXT NOT NULL,
                created_at BIGINT NOT NULL, UNIQUE (client_id, audience))
            """,
            """
            CREATE TABLE users (
                user_id TEXT PRIMARY KEY, connection TEXT NOT NULL, email_key TEXT, username_key TEXT,
                password_hash TEXT, document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX users_connection_email ON users (connection, email_key)",
            "CREATE UNIQUE INDEX users_connection_username ON users (connection, username_key)",
            "CREATE INDEX users_email ON users (email_key)",
            """
            CREATE TABLE roles (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE role_permissions (
                role_id TEXT NOT NULL, resource_server_identifier TEXT NOT NULL, permission_name TEXT NOT NULL,
                PRIMARY KEY (role_id, resource_server_identifier, permission_name))
            """,
            """
            CREATE TABLE user_roles (
                user_id TEXT NOT NULL, role_id TEXT NOT NULL, PRIMARY KEY (user_id, role_id))
            """,
            """
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, document TEXT NOT NULL,
                created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, revoked_at BIGINT)
            """,
            "CREATE INDEX sessions_user ON sessions (user_id)",
            """
            CREATE TABLE login_transactions (
                id TEXT PRIMARY KEY, document TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE authorization_codes (
                code_hash TEXT PRIMARY KEY, document TEXT NOT NULL, expires_at BIGINT NOT NULL, consumed_at BIGINT)
            """,
            """
            CREATE TABLE refresh_tokens (
                id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, family_id TEXT NOT NULL,
                client_id TEXT NOT NULL, user_id TEXT NOT NULL, document TEXT NOT NULL,
                created_at BIGINT NOT NULL, expires_at BIGINT, rotated_at BIGINT, revoked_at BIGINT)
            """,
            "CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)",
            "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
            """
            CREATE TABLE login_failures (
                subject TEXT NOT NULL, occurred_at BIGINT NOT NULL)
            """,
            "CREATE INDEX login_failures_subject ON login_failures (subject, occurred_at)",
        ]
    )

    /// A counter bumped by every write to clients, APIs, client grants and connections, so each
    /// instance can keep those in memory and know, with one cheap query, when to drop them.
    static let configurationVersion = Migration(
        version: 2,
        name: "configuration version",
        statements: [
            "CREATE TABLE configuration_version (id BIGINT PRIMARY KEY, version BIGINT NOT NULL)",
            "INSERT INTO configuration_version (id, version) VALUES (1, 1)",
        ]
    )

    /// Actions: the draft of each action, its immutable versions, and the ordered bindings of
    /// each trigger. Secrets are sealed with the master key, apart from the documents.
    static let actions = Migration(
        version: 3,
        name: "actions",
        statements: [
            """
            CREATE TABLE actions (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, document TEXT NOT NULL, sealed_secrets TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE action_versions (
                id TEXT PRIMARY KEY, action_id TEXT NOT NULL, number BIGINT NOT NULL, document TEXT NOT NULL,
                sealed_secrets TEXT NOT NULL, created_at BIGINT NOT NULL, UNIQUE (action_id, number))
            """,
            """
            CREATE TABLE action_bindings (
                id TEXT PRIMARY KEY, trigger_id TEXT NOT NULL, position BIGINT NOT NULL, action_id TEXT NOT NULL,
                display_name TEXT NOT NULL, created_at BIGINT NOT NULL, UNIQUE (trigger_id, position))
            """,
            "CREATE INDEX action_bindings_action ON action_bindings (action_id)",
        ]
    )

    /// Execution records of flows and the tenant log (`GET /api/v2/actions/executions/{id}`,
    /// `GET /api/v2/logs`), both pruned after the retention period.
    static let observability = Migration(
        version: 4,
        name: "executions and tenant logs",
        statements: [
            """
            CREATE TABLE action_executions (
                id TEXT PRIMARY KEY, trigger_id TEXT NOT NULL, document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX action_executions_created ON action_executions (created_at)",
            """
            CREATE TABLE tenant_logs (
                log_id TEXT PRIMARY KEY, type TEXT NOT NULL, document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX tenant_logs_created ON tenant_logs (created_at)",
        ]
    )

    /// Post-login flows: the per-binding fail-open option (a Gatehouse extension, off by default)
    /// and the `api.cache` entries of each trigger, shared by every instance
    /// (`auth0-actions.md` §3.8).
    static let postLogin = Migration(
        version: 5,
        name: "fail-open bindings and the actions cache",
        statements: [
            "ALTER TABLE action_bindings ADD COLUMN fail_open BIGINT NOT NULL DEFAULT 0",
            """
            CREATE TABLE action_cache (
                trigger_id TEXT NOT NULL, cache_key TEXT NOT NULL, value TEXT NOT NULL, expires_at BIGINT NOT NULL,
                PRIMARY KEY (trigger_id, cache_key))
            """,
        ]
    )

    /// Server trust: brute-force counters per user (or typed identifier) and IP, decided
    /// atomically before the password hash is checked; suspicious-IP buckets per stage; and SSO
    /// sessions found by the SHA-256 of their cookie secret, apart from their public id (`sid`).
    /// Sessions stored before this step used the cookie value as their id, so they are dropped:
    /// their users log in again. The old `login_failures` log is replaced by the counters.
    static let serverTrust = Migration(
        version: 6,
        name: "brute-force counters, IP throttling and hashed session secrets",
        statements: [
            """
            CREATE TABLE login_attempts (
                counter_key TEXT PRIMARY KEY, connection TEXT NOT NULL, identifier TEXT NOT NULL, user_id TEXT,
                ip TEXT NOT NULL, attempts BIGINT NOT NULL, updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX login_attempts_user ON login_attempts (user_id)",
            "CREATE INDEX login_attempts_identifier ON login_attempts (identifier)",
            "CREATE INDEX login_attempts_updated ON login_attempts (updated_at)",
            """
            CREATE TABLE ip_throttle (
                stage TEXT NOT NULL, ip TEXT NOT NULL, level BIGINT NOT NULL, accepted BIGINT NOT NULL,
                updated_at BIGINT NOT NULL, PRIMARY KEY (stage, ip))
            """,
            "CREATE INDEX ip_throttle_updated ON ip_throttle (updated_at)",
            "DROP TABLE login_failures",
            "DELETE FROM sessions",
            "ALTER TABLE sessions ADD COLUMN secret_hash TEXT",
            "CREATE UNIQUE INDEX sessions_secret ON sessions (secret_hash)",
        ]
    )

    /// Token lifecycle: the refresh-token family a code's exchange started, so that a replayed
    /// code revokes what it issued (RFC 6749 §4.1.2); indexes for the purge of expired rows.
    static let tokenLifecycle = Migration(
        version: 7,
        name: "refresh families of authorization codes; expiry indexes",
        statements: [
            "ALTER TABLE authorization_codes ADD COLUMN refresh_family_id TEXT",
            "CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at)",
            "CREATE INDEX login_transactions_expiry ON login_transactions (expires_at)",
            "CREATE INDEX sessions_expiry ON sessions (expires_at)",
            "CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at)",
        ]
    )

    /// Logins a post-login flow suspended (a redirect or an MFA challenge), found by the
    /// SHA-256 of the `state` that resumes them, so any instance can resume them.
    static let loginSuspensions = Migration(
        version: 8,
        name: "suspended logins",
        statements: [
            """
            CREATE TABLE login_suspensions (
                state_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, document TEXT NOT NULL, created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL, consumed_at BIGINT)
            """,
            "CREATE INDEX login_suspensions_expiry ON login_suspensions (expires_at)",
        ]
    )

    /// Multi-factor authentication: each user's authenticators (TOTP secrets sealed with the
    /// master key, recovery codes and one-time SMS codes stored only as their SHA-256), the
    /// pending one-time codes with their attempt count, the browsers a user asked to be
    /// remembered (by the SHA-256 of their cookie), and the tenant's Guardian factor settings.
    static let multifactor = Migration(
        version: 9,
        name: "multifactor",
        statements: [
            """
            CREATE TABLE mfa_enrollments (
                id TEXT PRIMARY KEY, user_id TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
                sealed_secret TEXT, secret_hash TEXT, phone_number TEXT, last_used_step BIGINT,
                created_at BIGINT NOT NULL, last_auth_at BIGINT)
            """,
            "CREATE INDEX mfa_enrollments_user ON mfa_enrollments (user_id)",
            """
            CREATE TABLE mfa_codes (
                enrollment_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, code_hash TEXT NOT NULL, attempts BIGINT NOT NULL,
                created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX mfa_codes_expiry ON mfa_codes (expires_at)",
            """
            CREATE TABLE mfa_remembered_browsers (
                token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX mfa_remembered_browsers_user ON mfa_remembered_browsers (user_id)",
            "CREATE INDEX mfa_remembered_browsers_expiry ON mfa_remembered_browsers (expires_at)",
            "CREATE TABLE guardian_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ]
    )

    /// The outbox (DESIGN.md, "Tenant events and an outbox"): messages written in the
    /// transaction of the change they report (a sign-up, a password change) and delivered after
    /// the commit by a relay, at least once, with retries and a lease that lapses when the
    /// instance holding it crashes. The idempotency key is unique, so enqueueing twice is
    /// harmless. `outbox_due` serves the claims; delivered and dead rows are purged later.
    static let outbox = Migration(
        version: 10,
        name: "outbox",
        statements: [
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY, kind TEXT NOT NULL, idempotency_key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,
                state TEXT NOT NULL, attempts BIGINT NOT NULL, created_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL,
                leased_by TEXT, leased_until BIGINT, delivered_at BIGINT, dead_at BIGINT, last_error TEXT)
            """,
            "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        ]
    )

    /// E-mail delivery: the tenant's provider (one row; the SMTP password sealed with the master
    /// key, apart from the document the API shows) and its e-mail templates by Auth0 name.
    /// Numbered 11: migration 10 is the outbox's (another branch); versions apply by number.
    static let emailDelivery = Migration(
        version: 11,
        name: "email delivery",
        statements: [
            """
            CREATE TABLE email_provider (
                id BIGINT PRIMARY KEY, document TEXT NOT NULL, sealed_password TEXT, updated_at BIGINT NOT NULL)
            """,
            "CREATE TABLE email_templates (template TEXT PRIMARY KEY, document TEXT NOT NULL, updated_at BIGINT NOT NULL)",
        ]
    )

    /// Earlier password hashes of each user (Auth0's `password_history`: a database connection
    /// may refuse the last N passwords), the last 24 kept.
    static let passwordHistory = Migration(
        version: 12,
        name: "password history",
        statements: [
            "CREATE TABLE password_history (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, password_hash TEXT NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE INDEX password_history_user ON password_history (user_id, created_at)",
        ]
    )

    /// Password-change and e-mail-verification tickets, by the SHA-256 of their link's token.
    static let accountTickets = Migration(
        version: 13,
        name: "account tickets",
        statements: [
            """
            CREATE TABLE account_tickets (
                token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, document TEXT NOT NULL, created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL, used_at BIGINT)
            """,
            "CREATE INDEX account_tickets_expiry ON account_tickets (expires_at)",
        ]
    )

    /// Legacy Auth0 Rules (`/api/v2/rules`): name and order unique, as Auth0 keeps them; and the
    /// rules' shared `configuration` (`/api/v2/rules-configs`), each value sealed with the master key.
    static let rules = Migration(
        version: 14,
        name: "rules",
        statements: [
            """
            CREATE TABLE rules (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, rule_order BIGINT NOT NULL UNIQUE, enabled BIGINT NOT NULL,
                document TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE TABLE rules_configs (config_key TEXT PRIMARY KEY, sealed_value TEXT NOT NULL, updated_at BIGINT NOT NULL)",
        ]
    )

    /// The dashboard's sign-ins: found by the SHA-256 of the cookie's secret; the operator's
    /// access token sealed with the master key.
    static let dashboardSessions = Migration(
        version: 15,
        name: "dashboard sessions",
        statements: [
            """
            CREATE TABLE dashboard_sessions (
                id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL, document TEXT NOT NULL,
                sealed_access_token TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)
            """,
            "CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at)",
        ]
    )

    /// Legacy Auth0 Hooks (`/api/v2/hooks`): name unique, and at most one enabled hook per
    /// extensibility point (a partial unique index, so two concurrent enables cannot both win);
    /// the hook's secrets sealed with the master key, as one JSON object.
    static let hooks = Migration(
        version: 16,
        name: "hooks",
        statements: [
            """
            CREATE TABLE hooks (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, trigger_id TEXT NOT NULL, enabled BIGINT NOT NULL,
                document TEXT NOT NULL, sealed_secrets TEXT NOT NULL, created_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX hooks_one_enabled ON hooks (trigger_id) WHERE enabled = 1",
        ]
    )
}
