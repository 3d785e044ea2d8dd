import GatehouseCore
import SQLKit

/// Every repository, bound to one database session: a pooled connection for reads, or the
/// connection of a transaction so that several aggregates are written atomically.
public struct Repositories: Sendable {
    public let tenant: any TenantSettingsRepository
    public let signingKeys: any SigningKeyRepository
    public let connections: any ConnectionRepository
    public let clients: any ClientRepository
    public let resourceServers: any ResourceServerRepository
    public let clientGrants: any ClientGrantRepository
    public let users: any UserRepository
    public let roles: any RoleRepository
    public let sessions: any SessionRepository
    public let loginTransactions: any LoginTransactionRepository
    public let authorizationCodes: any AuthorizationCodeRepository
    public let loginSuspensions: any LoginSuspensionRepository
    public let refreshTokens: any RefreshTokenRepository
    public let loginAttempts: any LoginAttemptRepository
    public let ipThrottle: any IPThrottleRepository
    public let actions: any ActionRepository
    public let rules: any RuleRepository
    public let hooks: any HookRepository
    public let observability: any ObservabilityRepository
    public let actionCache: any ActionCacheRepository
    public let multifactor: any MultifactorRepository
    public let rememberedBrowsers: any RememberedBrowserRepository
    public let guardianSettings: any GuardianSettingsRepository
    public let accountTickets: any AccountTicketRepository
    public let email: any EmailRepository
    public let outbox: any OutboxRepository
    public let dashboardSessions: any DashboardSessionRepository

    init(sql db: any SQLDatabase, masterKey: MasterKey) {
        tenant = SQLTenantSettingsRepository(db: db)
        signingKeys = SQLSigningKeyRepository(db: db, masterKey: masterKey)
        connections = SQLConnectionRepository(db: db)
        clients = SQLClientRepository(db: db, masterKey: masterKey)
        resourceServers = SQLResourceServerRepository(db: db)
        clientGrants = SQLClientGrantRepository(db: db)
        users = SQLUserRepository(db: db)
        roles = SQLRoleRepository(db: db)
        sessions = SQLSessionRepository(db: db)
        loginTransactions = SQLLoginTransactionRepository(db: db)
        authorizationCodes = SQLAuthorizationCodeRepository(db: db)
        loginSuspensions = SQLLoginSuspensionRepository(db: db)
        accountTickets = SQLAccountTicketRepository(db: db)
        refreshTokens = SQLRefreshTokenRepository(db: db)
        loginAttempts = SQLLoginAttemptRepository(db: db)
        ipThrottle = SQLIPThrottleRepository(db: db)
        actions = SQLActionRepository(db: db, masterKey: masterKey)
        rules = SQLRuleRepository(db: db, masterKey: masterKey)
        hooks = SQLHookRepository(db: db, masterKey: masterKey)
        observability = SQLObservabilityRepository(db: db)
        actionCache = SQLActionCacheRepository(db: db)
        multifactor = SQLMultifactorRepository(db: db, masterKey: masterKey)
        rememberedBrowsers = SQLRememberedBrowserRepository(db: db)
        guardianSettings = SQLGuardianSettingsRepository(db: db)
        email = SQLEmailRepository(db: db, masterKey: masterKey)
        outbox = SQLOutboxRepository(db: db)
        dashboardSessions = SQLDashboardSessionRepository(db: db, masterKey: masterKey)
    }
}

/// The database plus the key that seals secrets: what the identity layer is given.
public struct Storage: Sendable {
    public let database: GatehouseDatabase
    public let masterKey: MasterKey

    public init(database: GatehouseDatabase, masterKey: MasterKey) {
        self.database = database
        self.masterKey = masterKey
    }

    /// Reads (and single writes) outside a transaction.
    public func read<R: Sendable>(_ body: @escaping @Sendable (Repositories) async throws -> R) async throws -> R {
        let masterKey = masterKey
        return try await database.read { db in try await body(Repositories(sql: db, masterKey: masterKey)) }
    }

    /// Several writes that land together or not at all.
    public func transaction<R: Sendable>(
        _ body: @escaping @Sendable (Repositories) async throws -> R
    ) async throws -> R {
        let masterKey = masterKey
        return try await database.transaction { db in try await body(Repositories(sql: db, masterKey: masterKey)) }
    }
}
