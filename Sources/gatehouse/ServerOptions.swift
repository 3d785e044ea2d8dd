import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseSandbox
import Logging

/// Settings shared by every command that opens the tenant. Each flag has an environment
/// variable; the flag wins.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (GATEHOUSE_HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (GATEHOUSE_PORT, default 8080).")
    var port: Int?

    @Option(help: "Issuer URL, the `iss` of every token (GATEHOUSE_ISSUER, default http://localhost:<port>/).")
    var issuer: String?

    @Option(
        name: .customLong("database"),
        help:
            "sqlite:///path/file.sqlite, sqlite::memory: or postgres://user:pass@host:port/db (GATEHOUSE_DATABASE_URL, default sqlite://./gatehouse.sqlite)."
    )
    var databaseURL: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (GATEHOUSE_LOG_LEVEL, default info).")
    var logLevel: String?

    @Option(help: "text or json (GATEHOUSE_LOG_FORMAT, default text).")
    var logFormat: String?

    func configuration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GatehouseConfiguration {
        func env(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let port =
            try port ?? env("GATEHOUSE_PORT").map { text in
                guard let value = Int(text), (0...65_535).contains(value) else {
                    throw ValidationError("GATEHOUSE_PORT must be a port number, got \(text)")
                }
                return value
            } ?? 8080
        let levelText = logLevel ?? env("GATEHOUSE_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ValidationError("log level must be one of trace, debug, info, notice, warning, error, critical; got \(levelText)")
        }
        let formatText = logFormat ?? env("GATEHOUSE_LOG_FORMAT") ?? "text"
        guard let format = GatehouseConfiguration.LogFormat(rawValue: formatText) else {
            throw ValidationError("log format must be text or json; got \(formatText)")
        }
        var configuration = GatehouseConfiguration(
            host: host ?? env("GATEHOUSE_HOST") ?? "127.0.0.1",
            port: port,
            issuer: issuer ?? env("GATEHOUSE_ISSUER"),
            databaseURL: databaseURL ?? env("GATEHOUSE_DATABASE_URL") ?? "sqlite://./gatehouse.sqlite",
            masterKey: env("GATEHOUSE_MASTER_KEY"),
            logLevel: level,
            logFormat: format,
            bootstrapClientID: env("GATEHOUSE_BOOTSTRAP_CLIENT_ID"),
            bootstrapClientSecret: env("GATEHOUSE_BOOTSTRAP_CLIENT_SECRET"),
            bcryptCost: env("GATEHOUSE_BCRYPT_COST").flatMap(Int.init) ?? 10,
            trustedProxies: try env("GATEHOUSE_TRUSTED_PROXIES").map { text in
                do {
                    return try IPAddressRange.parseList(text)
                } catch let error as ConfigurationError {
                    throw ValidationError("GATEHOUSE_TRUSTED_PROXIES: \(error.description)")
                }
            } ?? [],
            sandboxWorkers: try env("GATEHOUSE_SANDBOX_WORKERS").map { text in
                guard let workers = Int(text), (1...256).contains(workers) else {
                    throw ValidationError("GATEHOUSE_SANDBOX_WORKERS must be a number from 1 to 256, got \(text)")
                }
                return workers
            },
            sandboxWarmUpFlows: try env("GATEHOUSE_SANDBOX_WARMUP_FLOWS").map { text in
                guard let flows = Int(text), (0...100_000).contains(flows) else {
                    throw ValidationError("GATEHOUSE_SANDBOX_WARMUP_FLOWS must be a number from 0 to 100000, got \(text)")
                }
                return flows
            },
            sandboxCallerWaitMillis: try env("GATEHOUSE_SANDBOX_CALLER_WAIT_MS").map { text in
                guard let millis = Int(text), (0...1_000).contains(millis) else {
                    throw ValidationError("GATEHOUSE_SANDBOX_CALLER_WAIT_MS must be a number from 0 to 1000, got \(text)")
                }
                return millis
            },
            nodeBinary: env("GATEHOUSE_NODE"),
            bundlesDirectory: env("GATEHOUSE_BUNDLES_DIR"),
            logRetentionDays: try env("GATEHOUSE_LOG_RETENTION_DAYS").map { text in
                guard let days = Int(text), days >= 1 else {
                    throw ValidationError("GATEHOUSE_LOG_RETENTION_DAYS must be a whole number of days (at least 1), got \(text)")
                }
                return days
            } ?? 10,
            actionsTimeoutMillis: try env("GATEHOUSE_ACTIONS_TIMEOUT_MS").map { text in
                guard let millis = Int(text), (100...300_000).contains(millis) else {
                    throw ValidationError("GATEHOUSE_ACTIONS_TIMEOUT_MS must be a number of milliseconds from 100 to 300000, got \(text)")
                }
                return millis
            } ?? 20_000,
            nodeRuntimes: try env("GATEHOUSE_NODE_RUNTIMES").map { text in
                do {
                    return try GatehouseConfiguration.parseNodeRuntimes(text)
                } catch let error as ConfigurationError {
                    throw ValidationError(error.description)
                }
            } ?? [:],
            geoipDatabase: env("GATEHOUSE_GEOIP_DATABASE")
        )
        if let file = env("GATEHOUSE_CREDENTIALS_FILE") { configuration.credentialsFile = file }
        if let file = env("GATEHOUSE_SMTP_CA_FILE") { configuration.smtpCAFile = file }
        if let file = env("GATEHOUSE_PASSWORD_DICTIONARY") { configuration.passwordDictionaryFile = file }
        if let directory = env("GATEHOUSE_CODEMIRROR_DIR") { configuration.codemirrorDirectory = directory }
        if let picture = env("GATEHOUSE_DEFAULT_PICTURE") {
            guard ["gravatar", "none"].contains(picture) else {
                throw ValidationError("GATEHOUSE_DEFAULT_PICTURE must be gravatar or none, got \(picture)")
            }
            configuration.defaultPictures = picture == "gravatar"
        }
        if let modules = env("GATEHOUSE_RULES_MODULES") {
            do {
                _ = try RulesModules(setting: modules)
            } catch {
                throw ValidationError("GATEHOUSE_RULES_MODULES: \(error)")
            }
            configuration.rulesModules = modules
        }
        if let sources = env("GATEHOUSE_ACTIONS_DEPENDENCY_SOURCES") {
            do {
                _ = try DependencySources(setting: sources)
            } catch {
                throw ValidationError("GATEHOUSE_ACTIONS_DEPENDENCY_SOURCES: \(error)")
            }
            configuration.actionsDependencySources = sources
        }
        if let registry = env("GATEHOUSE_NPM_REGISTRY") {
            guard registry.hasPrefix("https://") || registry.hasPrefix("http://"), URL(string: registry)?.host?.isEmpty == false else {
                throw ValidationError("GATEHOUSE_NPM_REGISTRY must be an http(s):// URL, got \(registry)")
            }
            configuration.npmRegistry = registry
        }
        configuration.sandboxMemoryMegabytes = try env("GATEHOUSE_SANDBOX_MEMORY_MB").map { text in
            guard let megabytes = Int(text), (256...65_536).contains(megabytes) else {
                throw ValidationError("GATEHOUSE_SANDBOX_MEMORY_MB must be a number of megabytes from 256 to 65536, got \(text)")
            }
            return megabytes
        }
        return configuration
    }
}
