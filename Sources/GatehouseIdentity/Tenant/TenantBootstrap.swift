import GatehouseCore
import GatehouseStorage
import Logging

/// First start on an empty database: creates what an Auth0 tenant starts with.
///
/// - an RS256 signing key;
/// - the database connection `Username-Password-Authentication`;
/// - the Management API resource server `{issuer}api/v2/` with Auth0's management scopes;
/// - a machine-to-machine client granted all of them, whose credentials come from
///   `GATEHOUSE_BOOTSTRAP_CLIENT_ID` / `…_SECRET` or are generated and written to the credentials
///   file (`BootstrapCredentials`), never to the log;
/// - the dashboard's OIDC client and the `Gatehouse Operator` role (`+Dashboard`).
public struct TenantBootstrap: Sendable {
    public static let defaultConnectionName = "Username-Password-Authentication"

    let storage: Storage
    let configuration: GatehouseConfiguration
    let logger: Logger

    public init(storage: Storage, configuration: GatehouseConfiguration, logger: Logger) {
        self.storage = storage
        self.configuration = configuration
        self.logger = logger
    }

    /// What was created, so the caller can tell the operator once.
    public struct Outcome: Sendable {
        public var created: Bool
        public var clientID: String?
        /// Only when the secret was generated here (never when it came from the environment).
        public var generatedSecret: String?
        /// Where the generated credentials were written (mode 0600), when the configuration names a file.
        public var credentialsFile: String?
    }

    public func run() async throws -> Outcome {
        if try await storage.read({ try await $0.tenant.value("provisioned_at") }) != nil {
            if try await storage.read({ try await $0.signingKeys.all() }).isEmpty {
                _ = try await SigningKeyring.generateKey(into: storage)
            }
            try await addNewManagementScopes()
            try await provisionDashboard()
            return Outcome(created: false)
        }
        _ = try await SigningKeyring.generateKey(into: storage)
        let clientID = configuration.bootstrapClientID ?? RandomIdentifier.alphanumeric(length: 32)
        let secret = configuration.bootstrapClientSecret ?? RandomIdentifier.token(byteCount: 48)
        let now = Timestamp.iso8601(Timestamp.nowMillis())
        let audience = configuration.managementAudience
        let configuration = configuration
        try await storage.transaction { repositories in
            try await repositories.connections.insert(
                ConnectionRecord(
                    id: RandomIdentifier.prefixed("con"), name: Self.defaultConnectionName, enabled_clients: [clientID]))
            try await repositories.resourceServers.insert(
                ResourceServerRecord(
                    id: RandomIdentifier.hex(byteCount: 12), identifier: audience, name: "Auth0 Management API",
                    scopes: ManagementScopes.all.map { .init(value: $0, description: $0) },
                    token_lifetime: 86_400, is_system: true))
            try await repositories.clients.insert(
                ClientRecord(
                    client_id: clientID, client_secret: secret, name: "Gatehouse Bootstrap (Management API)",
                    app_type: "non_interactive", grant_types: ["client_credentials"], created_at: now, updated_at: now))
            try await repositories.clientGrants.insert(
                ClientGrantRecord(
                    id: RandomIdentifier.prefixed("cgr"), client_id: clientID, audience: audience,
                    scope: ManagementScopes.all))
            try await repositories.tenant.set("provisioned_at", now)
            try await repositories.tenant.set("issuer", configuration.issuer)
            try await repositories.tenant.set(BootstrapCredentials.clientSetting, clientID)
        }
        logger.info("tenant created", metadata: ["bootstrap_client_id": "\(clientID)"])
        try await provisionDashboard()
        return Outcome(
            created: true, clientID: clientID,
            generatedSecret: configuration.bootstrapClientSecret == nil ? secret : nil)
    }

    /// Management scopes added in a later version (sessions, refresh tokens, attack protection, MFA)
    /// join the Management API of an existing tenant, and every client grant that held all of its
    /// scopes (the bootstrap client's, unless an operator narrowed it) keeps holding all of them.
    func addNewManagementScopes() async throws {
        let audience = configuration.managementAudience
        let added = try await storage.transaction { repositories -> [String] in
            guard var api = try await repositories.resourceServers.get(idOrIdentifier: audience), api.identifier == audience else {
                return []
            }
            let known = Set(api.scopes.map(\.value))
            let missing = ManagementScopes.all.filter { !known.contains($0) }
            guard !missing.isEmpty else { return [] }
            api.scopes += missing.map { .init(value: $0, description: $0) }
            try await repositories.resourceServers.update(api)
            for grant in try await repositories.clientGrants.list(clientID: nil, audience: audience, PageRequest(page: 0, perPage: 100))
                .items
            where known.isSubset(of: Set(grant.scope)) {
                var widened = grant
                widened.scope += missing
                try await repositories.clientGrants.update(widened)
            }
            return missing
        }
        if !added.isEmpty { logger.info("management scopes added", metadata: ["scopes": "\(added.joined(separator: " "))"]) }
    }
}
