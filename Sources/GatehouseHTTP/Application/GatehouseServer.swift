import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseIdentity
import GatehouseSandbox
import GatehouseStorage
import Hummingbird
import Logging

/// Builds a ready-to-run server from a configuration: database opened and migrated, tenant
/// provisioned on first start, keys loaded, routes registered.
public struct GatehouseServer: Sendable {
    public let services: IdentityServices
    public let database: GatehouseDatabase
    /// The Actions sandbox, warm from start-up; `nil` when it could not start (no Node.js ≥ 20),
    /// in which case the reason was logged as an error.
    public let sandbox: SandboxPool?
    /// Actions management (drafts, builds, versions, bindings).
    public let actions: ActionsService
    /// Set on first start only: the bootstrap client, with its secret when it was generated here.
    public let bootstrap: TenantBootstrap.Outcome
    /// Deletes expired transactions, codes, sessions and refresh tokens while the server runs.
    public let purger: ExpiredRecordsPurger

    public static func prepare(_ configuration: GatehouseConfiguration, logger: Logger) async throws -> GatehouseServer {
        let databaseFile = GatehouseDatabase.sqliteFilePath(of: configuration.databaseURL)
        if let databaseFile { try PrivateFiles.createIfMissing(databaseFile) }
        let masterKey = try MasterKeyResolver.resolve(configuration, logger: logger)
        let database = try GatehouseDatabase(url: configuration.databaseURL, logger: logger)
        if let databaseFile {
            let files = [
                databaseFile, databaseFile + "-wal", databaseFile + "-shm", databaseFile + ".key", databaseFile + ".credentials",
            ]
            for warning in PrivateFiles.wideModeWarnings(files) { logger.warning("\(warning)") }
        }
        do {
            try await database.migrate(logger: logger)
            let storage = Storage(database: database, masterKey: masterKey)
            var bootstrap = try await TenantBootstrap(storage: storage, configuration: configuration, logger: logger).run()
            if let clientID = bootstrap.clientID, let secret = bootstrap.generatedSecret {
                bootstrap.credentialsFile = try BootstrapCredentials.write(clientID: clientID, secret: secret, configuration: configuration)
            }
            let keyring = SigningKeyring(storage: storage)
            try await keyring.load()
            let catalog = try TriggerCatalog.bundled()
            let sandboxConfiguration = Self.sandboxConfiguration(configuration)
            let sandbox = await startSandbox(sandboxConfiguration, logger: logger)
            let rulesNodeModules = try await installRulesModules(configuration, sandboxConfiguration, logger: logger)
            let flows = FlowRunner(
                storage: storage, sandbox: sandbox,
                recorder: ExecutionRecorder(storage: storage, logger: logger, retentionDays: configuration.logRetentionDays),
                budgetMillis: configuration.actionsTimeoutMillis, rulesNodeModules: rulesNodeModules)
            let geoip = try configuration.geoipDatabase.map { path in
                let database = try MaxMindDatabase(path: path)
                logger.info(
                    "GeoIP database loaded",
                    metadata: ["path": "\(path)", "type": "\(database.metadata["database_type"]?.stringValue ?? "unknown")"])
                return database
            }
            let commonPasswords = try configuration.passwordDictionaryFile.map { path in
                let list = try CommonPasswords.loading(path)
                logger.info("password dictionary loaded", metadata: ["path": "\(path)", "passwords": "\(list.count)"])
                return list
            }
            let services = IdentityServices(
                configuration: configuration, storage: storage, keyring: keyring, logger: logger, flows: flows,
                policy: CommandPolicy(catalog: catalog), geoip: geoip, commonPasswords: commonPasswords ?? .builtIn)
            let actions = ActionsService(
                storage: storage, catalog: catalog, sandboxConfiguration: sandboxConfiguration, sandbox: sandbox, logger: logger)
            return GatehouseServer(
                services: services, database: database, sandbox: sandbox, actions: actions, bootstrap: bootstrap,
                purger: ExpiredRecordsPurger(storage: storage, logger: logger))
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// The tenant's database alone (migrated, with the master key), for operator commands that
    /// need neither the sandbox nor HTTP. The caller shuts the database down.
    public static func openStorage(_ configuration: GatehouseConfiguration, logger: Logger) async throws -> (GatehouseDatabase, Storage) {
        let masterKey = try MasterKeyResolver.resolve(configuration, logger: logger)
        let database = try GatehouseDatabase(url: configuration.databaseURL, logger: logger)
        do {
            try await database.migrate(logger: logger)
        } catch {
            await database.shutdown()
            throw error
        }
        return (database, Storage(database: database, masterKey: masterKey))
    }

    /// Starts the Actions worker pool and waits until every worker is ready.
    static func sandboxConfiguration(_ configuration: GatehouseConfiguration) -> SandboxConfiguration {
        var sandbox = SandboxConfiguration(
            nodeBinary: configuration.nodeBinary, workers: configuration.sandboxWorkers, bundlesDirectory: configuration.bundlesDirectory,
            runtimeBinaries: configuration.nodeRuntimes,
            warmUpFlows: configuration.sandboxWarmUpFlows ?? SandboxConfiguration.defaultWarmUpFlows)
        if let millis = configuration.sandboxCallerWaitMillis { sandbox.callerWait = .milliseconds(millis) }
        if let megabytes = configuration.sandboxMemoryMegabytes { sandbox.memoryMegabytes = megabytes }
        // Validated when the options were read; an unreadable setting allows the registry only.
        sandbox.dependencySources = configuration.actionsDependencySources.flatMap { try? DependencySources(setting: $0) } ?? .registryOnly
        sandbox.npmRegistry = configuration.npmRegistry
        return sandbox
    }

    static func startSandbox(_ configuration: SandboxConfiguration, logger: Logger) async -> SandboxPool? {
        do {
            if geteuid() != 0 {
                logger.warning(
                    "the server does not run as root, so its Actions workers run as its user: Node's permission model and the server's closed /proc contain them, but a worker that got past the permission model could read every file of that user. Run the server as a user of its own that owns nothing but the server's files (docs/SECURITY.md)"
                )
            }
            let pool = SandboxPool(configuration: configuration, catalog: try TriggerCatalog.bundled(), logger: logger)
            try await pool.start()
            let workers = pool.workerCount
            logger.info("actions sandbox ready", metadata: ["workers": "\(workers)"])
            return pool
        } catch {
            logger.error("actions sandbox unavailable: actions cannot run", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The router with every route of the server.
    public func router() async throws -> Router<GatehouseRequestContext> {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: ClientAddressMiddleware(trustedProxies: services.configuration.trustedProxies))
        router.add(middleware: RequestLoggerMiddleware(logger: services.logger))
        router.add(middleware: HostedPageMiddleware(branding: BrandingService(storage: services.storage), logger: services.logger))
        let pages = try await PageRenderer.load()
        let issuerHost = URL(string: services.configuration.issuer)?.host
        let cookies = SessionCookies(
            secure: services.configuration.secureCookies, loopback: ["localhost", "127.0.0.1", "::1", "[::1]"].contains(issuerHost ?? ""))
        let authorization = AuthorizationService(storage: services.storage)
        let responder = AuthorizationResponder(services: services, pages: pages, authorization: authorization, cookies: cookies)
        HealthRoutes(database: database).register(on: router)
        DiscoveryRoutes(services: services).register(on: router)
        TokenRoutes(services: services).register(on: router)
        MultifactorAPIRoutes(services: services).register(on: router)
        RevocationRoutes(services: services).register(on: router)
        UserInfoRoutes(services: services).register(on: router)
        DatabaseSignupRoutes(services: services).register(on: router)
        AuthorizeRoutes(
            services: services, responder: responder, validator: AuthorizationRequestValidator(storage: services.storage),
            authorization: authorization
        ).register(on: router)
        LoginPageRoutes(services: services, pages: pages, responder: responder, authorization: authorization, cookies: cookies)
            .register(on: router)
        LogoutRoutes(services: services, pages: pages, responder: responder, authorization: authorization, cookies: cookies)
            .register(on: router)
        ContinueRoutes(services: services, pages: pages, responder: responder).register(on: router)
        MultifactorPageRoutes(services: services, pages: pages, responder: responder, cookies: cookies).register(on: router)
        AccountTicketRoutes(services: services, pages: pages, cookies: cookies).register(on: router)
        ManagementAPI(services: services, actions: actions).register(on: router)
        try DashboardRoutes(services: services, actions: actions).register(on: router)
        return router
    }

    /// The HTTP application on the configured host and port.
    public func application() async throws -> some ApplicationProtocol {
        let configuration = services.configuration
        purger.start()
        services.outbox.start()
        return Application(
            router: try await router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Gatehouse"),
            logger: services.logger)
    }

    public func shutdown() async {
        purger.stop()
        await services.outbox.stop()
        await services.flows?.recorder.flush()
        await sandbox?.shutdown()
        await database.shutdown()
    }
}

/// One log line per request, at `info`: method, path (never the query, which can carry codes and
/// tokens), status, duration, the client's IP and — where known — the client id (the one a handler
/// authenticated or a Management API token's `azp`, else a `client_id` query parameter). Probes
/// (`/healthz`, `/readyz`, `/metrics`) log at `debug`, so they do not drown the rest.
struct RequestLoggerMiddleware: RouterMiddleware {
    typealias Context = GatehouseRequestContext
    let logger: Logger

    static let quietPaths: Set<String> = ["/healthz", "/readyz", "/metrics"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            let level: Logger.Level = Self.quietPaths.contains(request.uri.path) ? .debug : .info
            // Built only when it is written: the token endpoint runs this for every request.
            if logger.logLevel <= level { log(request, context: context, status: status, since: start, level: level) }
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        }
    }

    private func log(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant, level: Logger.Level) {
        let elapsed = ContinuousClock.now - start
        let millis = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)", "status": "\(status)",
            "duration_ms": "\(String(format: "%.2f", millis))", "ip": "\(context.remoteIP)",
        ]
        let queryClient = request.uri.queryParameters["client_id"].map { String($0) }
        if let clientID = context.logNote.clientID ?? queryClient, !clientID.isEmpty, clientID.count <= 128 {
            metadata["client_id"] = "\(clientID)"
        }
        logger.log(level: level, "request", metadata: metadata)
    }
}
