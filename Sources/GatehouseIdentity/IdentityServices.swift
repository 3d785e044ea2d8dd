import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseStorage
import Logging

/// Everything the HTTP layer needs from the identity domain, built once at start-up.
public struct IdentityServices: Sendable {
    public let configuration: GatehouseConfiguration
    public let storage: Storage
    public let keyring: SigningKeyring
    public let tokens: TokenIssuer
    public let verifier: TokenVerifier
    public let passwords: PasswordHasher
    public let users: UserDirectory
    /// Brute-force protection, suspicious-IP throttling and user blocks.
    public let attackProtection: AttackProtection
    public let clientAuthenticator: ClientAuthenticator
    public let loginTokens: LoginTokenIssuer
    /// Which Management API scopes a user's token may carry (the dashboard's operators).
    public let operatorAccess: OperatorAccess
    public let grants: GrantRegistry
    /// Clients, APIs and client grants in memory, invalidated across instances (see its doc).
    public let configurationCache: ConfigurationCache
    public let logger: Logger

    /// Runs bound Actions during token issuance; `nil` leaves Actions out entirely.
    public let flows: FlowRunner?
    /// The `post-login` trigger of every kind of login; `nil` without Actions.
    public let postLogin: PostLoginFlow?
    /// Where every login ends (issued, refused or suspended).
    public let loginCompletion: LoginCompletion
    /// Guardian factors, users' authenticators, code checks and remembered browsers.
    public let multifactor: MultifactorService
    /// Password-change and e-mail-verification links.
    public let tickets: AccountTickets
    /// The reset, verification and welcome e-mails.
    public let accountMail: AccountMail
    /// Auth0's MFA API for back-channel logins (`/mfa/*` and the `mfa-*` grants).
    public let multifactorAPI: MultifactorAPI
    /// The e-mail provider and templates; composing and delivering messages.
    public let email: EmailService
    /// The tenant's phone provider (`/api/v2/branding/phone/providers`) and its deliveries.
    public let phoneProvider: PhoneProviderService
    /// `post-user-registration` and `post-change-password`, delivered from the outbox.
    public let asyncTriggers: AsyncTriggers
    /// This instance's outbox relay (started with the server).
    public var outbox: OutboxRelay { asyncTriggers.relay }

    public init(
        configuration: GatehouseConfiguration, storage: Storage, keyring: SigningKeyring, logger: Logger, flows: FlowRunner? = nil,
        policy: CommandPolicy? = nil, geoip: MaxMindDatabase? = nil, commonPasswords: CommonPasswords = .builtIn
    ) {
        self.flows = flows
        self.configuration = configuration
        self.storage = storage
        self.keyring = keyring
        self.logger = logger
        tokens = TokenIssuer(keyring: keyring, configuration: configuration)
        verifier = TokenVerifier(keyring: keyring, issuer: configuration.issuer)
        passwords = PasswordHasher(cost: configuration.bcryptCost)
        let attackProtection = AttackProtection(storage: storage, configuration: configuration, logger: logger)
        self.attackProtection = attackProtection
        let configurationCache = ConfigurationCache(storage: storage)
        self.configurationCache = configurationCache
        let tenantName = Self.tenantName(configuration.issuer)
        let asyncTriggers = AsyncTriggers(
            relay: OutboxRelay(storage: storage, logger: logger, settings: Self.relaySettings(configuration)), flows: flows,
            storage: storage, configurationCache: configurationCache, tenantName: tenantName, geoip: geoip)
        self.asyncTriggers = asyncTriggers
        users = UserDirectory(
            storage: storage, passwords: passwords, configuration: configuration, logger: logger, attackProtection: attackProtection,
            preRegistration: flows.map { PreUserRegistration(flows: $0, tenantName: tenantName, geoip: geoip) },
            asyncTriggers: asyncTriggers, commonPasswords: commonPasswords)
        clientAuthenticator = ClientAuthenticator()
        operatorAccess = OperatorAccess(storage: storage, audience: configuration.managementAudience)
        loginTokens = LoginTokenIssuer(storage: storage, tokens: tokens, operatorAccess: operatorAccess)
        let postLogin = flows.flatMap { flows in
            policy.map {
                PostLoginFlow(
                    flows: flows, policy: $0, storage: storage, tenantName: tenantName, logger: logger, geoip: geoip,
                    issuer: configuration.issuer)
            }
        }
        self.postLogin = postLogin
        let tenantDetails = EmailService.TenantDetails(name: tenantName)
        let phoneProvider = PhoneProviderService(
            storage: storage, tenant: tenantDetails, flows: flows, relay: asyncTriggers.relay, geoip: geoip,
            logger: logger)
        self.phoneProvider = phoneProvider
        asyncTriggers.relay.register(PhoneOutboxHandler(phone: phoneProvider))
        let multifactor = MultifactorService(
            storage: storage, issuerName: tenantName,
            phoneMessages: flows.map { SendPhoneMessage(flows: $0, tenantName: tenantName, geoip: geoip) },
            phoneProvider: phoneProvider, logger: logger)
        self.multifactor = multifactor
        let email = EmailService(
            storage: storage, flows: flows, tenant: tenantDetails,
            delivery: EmailService.DeliverySettings(trustedCAFile: configuration.smtpCAFile, clientName: tenantName), logger: logger)
        self.email = email
        asyncTriggers.relay.register(EmailOutboxHandler(email: email, logger: logger))
        let tickets = AccountTickets(
            storage: storage, users: users, issuer: configuration.issuer,
            postChallenge: flows.map {
                PasswordResetPostChallenge(flows: $0, storage: storage, tenantName: tenantName, geoip: geoip)
            }, multifactor: multifactor, asyncTriggers: asyncTriggers)
        self.tickets = tickets
        accountMail = AccountMail(storage: storage, email: email, tickets: tickets, relay: asyncTriggers.relay, logger: logger)
        let completion = LoginCompletion(
            storage: storage, postLogin: postLogin, loginTokens: loginTokens, geoip: geoip, multifactor: multifactor)
        loginCompletion = completion
        let multifactorAPI = MultifactorAPI(completion: completion, multifactor: multifactor)
        self.multifactorAPI = multifactorAPI
        grants = GrantRegistry(handlers: [
            ClientCredentialsGrant(tokens: tokens, flows: flows, policy: policy, tenantName: tenantName, geoip: geoip),
            AuthorizationCodeGrant(storage: storage, loginTokens: loginTokens),
            RefreshTokenGrant(storage: storage, completion: completion),
            PasswordGrant(users: users, storage: storage, completion: completion, realmRequired: false),
            PasswordGrant(users: users, storage: storage, completion: completion, realmRequired: true),
            MultifactorOTPGrant(api: multifactorAPI),
            MultifactorOOBGrant(api: multifactorAPI),
            MultifactorRecoveryCodeGrant(api: multifactorAPI),
        ])
    }

    /// A batch is four deliveries per sandbox worker, so the relay keeps the workers busy while
    /// it waits for the database (one delivery per worker kept it behind the sign-ups it
    /// reports: `BENCHMARKS.md`). Its lease outlasts the flows of a batch run back to back on the
    /// workers, plus 10 s, so only the rows of a crashed or stuck instance are ever taken over.
    static func relaySettings(_ configuration: GatehouseConfiguration) -> OutboxRelay.Settings {
        let workers = max(1, configuration.sandboxWorkers ?? ProcessInfo.processInfo.activeProcessorCount)
        let batch = 4 * workers
        return OutboxRelay.Settings(
            lease: .milliseconds((batch / workers + 1) * configuration.actionsTimeoutMillis + 10_000), batchSize: batch)
    }

    /// The tenant's name as actions see it (`event.tenant.id`): the issuer's host.
    static func tenantName(_ issuer: String) -> String {
        URL(string: issuer)?.host ?? "gatehouse"
    }
}
