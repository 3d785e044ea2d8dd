import Foundation
import Logging

/// Everything the server needs to start, resolved from flags and environment variables.
///
/// Each setting has a flag and an environment variable (`--port` / `GATEHOUSE_PORT`, …); the command
/// line wins. The defaults start a working server with no set-up at all: SQLite file
/// `./gatehouse.sqlite`, `127.0.0.1:8080`, issuer `http://localhost:8080/`.
public struct GatehouseConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The `iss` of every token, with a trailing slash as Auth0 writes it (`https://tenant/`).
    public var issuer: String
    public var databaseURL: String
    /// Base64 of 32 bytes; `nil` lets the server generate or read a key file beside a SQLite database.
    public var masterKey: String?
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    public var bootstrapClientID: String?
    public var bootstrapClientSecret: String?
    /// Where the bootstrap client's credentials are written (mode 0600) when the server generates
    /// them: `GATEHOUSE_CREDENTIALS_FILE`, else `<database file>.credentials` beside a SQLite
    /// file; `nil` for PostgreSQL and in-memory databases unless set.
    public var credentialsFile: String? {
        get { explicitCredentialsFile ?? Self.sqliteFilePath(of: databaseURL).map { $0 + ".credentials" } }
        set { explicitCredentialsFile = newValue }
    }
    private var explicitCredentialsFile: String?
    /// bcrypt cost factor for new password hashes.
    public var bcryptCost: Int
    /// Default access-token lifetime when an API does not set its own (Auth0: 86400 s).
    public var defaultAccessTokenLifetime: Int
    /// Default ID-token lifetime when a client does not set its own (Auth0: 36000 s).
    public var defaultIDTokenLifetime: Int
    /// The default `max_attempts` of brute-force protection (Auth0: 10): consecutive failed
    /// password attempts for one user from one IP before that IP is blocked for that user. The
    /// tenant's setting (`PATCH /api/v2/attack-protection/brute-force-protection`) wins.
    public var failedLoginLimit: Int
    /// Seconds after its last failure that a count of failed attempts still below the limit is
    /// forgotten (a block itself stays until it is lifted).
    public var throttleWindow: Int
    /// Proxies whose `X-Forwarded-For` is believed (`GATEHOUSE_TRUSTED_PROXIES`): the client IP
    /// is the right-most address of the chain that is not one of them. Empty: the TCP peer.
    public var trustedProxies: [IPAddressRange]
    /// Set the `Secure` attribute on cookies; defaults to whether the issuer is https.
    public var secureCookies: Bool
    /// Actions sandbox workers (`GATEHOUSE_SANDBOX_WORKERS`); `nil` means one per core.
    public var sandboxWorkers: Int?
    /// Synthetic flows a worker runs before it takes traffic (`GATEHOUSE_SANDBOX_WARMUP_FLOWS`);
    /// `nil` means the sandbox's default.
    public var sandboxWarmUpFlows: Int?
    /// How long a request's own thread waits for its flow's answer before handing the wait to
    /// the worker's reader thread (`GATEHOUSE_SANDBOX_CALLER_WAIT_MS`); `nil` means the sandbox's
    /// default, 0 hands every wait over at once.
    public var sandboxCallerWaitMillis: Int?
    /// The Node.js binary for Actions (`GATEHOUSE_NODE`); `nil` finds `node` on the PATH.
    public var nodeBinary: String?
    /// Where npm dependency bundles of action versions are installed (`GATEHOUSE_BUNDLES_DIR`).
    public var bundlesDirectory: String?
    /// Local directories and URL prefixes tenants' action dependencies may come from besides the
    /// npm registry (`GATEHOUSE_ACTIONS_DEPENDENCY_SOURCES`, comma-separated); none by default.
    public var actionsDependencySources: String?
    /// The npm registry dependencies are installed from (`GATEHOUSE_NPM_REGISTRY`, an internal
    /// mirror for example); `nil` uses npm's global configuration. npm runs with a home of its
    /// own, so the server user's `~/.npmrc` is not read.
    public var npmRegistry: String?
    /// The npm packages legacy rules may `require`, as `name@version` specs separated by commas
    /// or spaces (`GATEHOUSE_RULES_MODULES`), installed once into a shared bundle at start-up.
    public var rulesModules: String?
    /// The OS memory limit of each Actions worker in MB (`GATEHOUSE_SANDBOX_MEMORY_MB`); `nil`
    /// means the sandbox's default.
    public var sandboxMemoryMegabytes: Int?
    /// How long execution records and tenant log events are kept (`GATEHOUSE_LOG_RETENTION_DAYS`).
    public var logRetentionDays: Int
    /// The time budget of one flow of actions (`GATEHOUSE_ACTIONS_TIMEOUT_MS`; Auth0: 20 s).
    public var actionsTimeoutMillis: Int
    /// Node binaries of action runtimes (`GATEHOUSE_NODE_RUNTIMES=node18=/path,node22=/path`);
    /// runtimes not listed run on `nodeBinary`.
    public var nodeRuntimes: [String: String]
    /// A MaxMind GeoIP2/GeoLite2 City database (`GATEHOUSE_GEOIP_DATABASE`) for
    /// `event.request.geoip`; none by default.
    public var geoipDatabase: String?
    /// Whether database users created without a `picture` get Auth0's default one, the
    /// Gravatar of their e-mail with an initials fallback (`GATEHOUSE_DEFAULT_PICTURE`:
    /// `gravatar`, the default, or `none`). Auth0 has no setting for this; a server option
    /// keeps e-mail hashes away from gravatar.com for those who must.
    public var defaultPictures = true
    /// A PEM file of certificate authorities the SMTP client trusts besides the system's
    /// (`GATEHOUSE_SMTP_CA_FILE`): a private CA, or a test's self-signed certificate. Certificate
    /// verification cannot be turned off.
    public var smtpCAFile: String?
    /// A file of common passwords, one per line, that connections with `password_dictionary`
    /// enabled refuse besides the tenant's words and a short built-in list
    /// (`GATEHOUSE_PASSWORD_DICTIONARY`).
    public var passwordDictionaryFile: String?
    /// Where the dashboard's editor (CodeMirror 5, Debian's `libjs-codemirror`) is installed
    /// (`GATEHOUSE_CODEMIRROR_DIR`); the server serves it from there under `/dashboard/codemirror/`
    /// and the editor falls back to a plain text area when it is absent.
    public var codemirrorDirectory = "/usr/share/javascript/codemirror"

    public enum LogFormat: String, Sendable, CaseIterable {
        case text
        case json
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        issuer: String? = nil,
        databaseURL: String = "sqlite://./gatehouse.sqlite",
        masterKey: String? = nil,
        logLevel: Logger.Level = .info,
        logFormat: LogFormat = .text,
        bootstrapClientID: String? = nil,
        bootstrapClientSecret: String? = nil,
        bcryptCost: Int = 10,
        defaultAccessTokenLifetime: Int = 86_400,
        defaultIDTokenLifetime: Int = 36_000,
        failedLoginLimit: Int = 10,
        throttleWindow: Int = 86_400,
        trustedProxies: [IPAddressRange] = [],
        secureCookies: Bool? = nil,
        sandboxWorkers: Int? = nil,
        sandboxWarmUpFlows: Int? = nil,
        sandboxCallerWaitMillis: Int? = nil,
        nodeBinary: String? = nil,
        bundlesDirectory: String? = nil,
        logRetentionDays: Int = 10,
        actionsTimeoutMillis: Int = 20_000,
        nodeRuntimes: [String: String] = [:],
        geoipDatabase: String? = nil
    ) {
        self.geoipDatabase = geoipDatabase
        self.nodeRuntimes = nodeRuntimes
        self.host = host
        self.port = port
        let resolvedIssuer = Self.normalizedIssuer(issuer ?? "http://localhost:\(port)/")
        self.issuer = resolvedIssuer
        self.databaseURL = databaseURL
        self.masterKey = masterKey
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.bootstrapClientID = bootstrapClientID
        self.bootstrapClientSecret = bootstrapClientSecret
        self.bcryptCost = bcryptCost
        self.defaultAccessTokenLifetime = defaultAccessTokenLifetime
        self.defaultIDTokenLifetime = defaultIDTokenLifetime
        self.failedLoginLimit = failedLoginLimit
        self.throttleWindow = throttleWindow
        self.trustedProxies = trustedProxies
        self.secureCookies = secureCookies ?? resolvedIssuer.hasPrefix("https://")
        self.sandboxWorkers = sandboxWorkers
        self.sandboxWarmUpFlows = sandboxWarmUpFlows
        self.sandboxCallerWaitMillis = sandboxCallerWaitMillis
        self.nodeBinary = nodeBinary
        self.bundlesDirectory = bundlesDirectory
        self.logRetentionDays = logRetentionDays
        self.actionsTimeoutMillis = actionsTimeoutMillis
    }

    /// Parses `GATEHOUSE_NODE_RUNTIMES`: comma-separated `runtime=/path/to/node` pairs.
    public static func parseNodeRuntimes(_ text: String) throws -> [String: String] {
        var runtimes: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[0].hasPrefix("node"), Int(parts[0].dropFirst(4)) != nil, parts[1].hasPrefix("/") else {
                throw ConfigurationError(
                    "GATEHOUSE_NODE_RUNTIMES must be comma-separated runtime=/absolute/path/to/node pairs"
                        + " (e.g. node22=/opt/node22/bin/node), got \(pair)")
            }
            runtimes[parts[0]] = parts[1]
        }
        return runtimes
    }

    /// Issuers end in exactly one slash, as Auth0's do.
    public static func normalizedIssuer(_ raw: String) -> String {
        var value = raw
        while value.hasSuffix("/") { value.removeLast() }
        return value + "/"
    }

    /// The Management API's audience: `{issuer}api/v2/`.
    public var managementAudience: String { issuer + "api/v2/" }
}

/// A configuration value that cannot be used, with what to write instead.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension GatehouseConfiguration {
    /// The file of a `sqlite://path` URL; `nil` for in-memory SQLite and other databases.
    static func sqliteFilePath(of url: String) -> String? {
        guard url.hasPrefix("sqlite://"), !url.contains(":memory:") else { return nil }
        return String(url.dropFirst("sqlite://".count))
    }
}
