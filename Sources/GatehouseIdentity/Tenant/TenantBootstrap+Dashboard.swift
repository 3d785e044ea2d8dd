import GatehouseCore
import GatehouseStorage

/// The dashboard's place in the tenant: an OIDC client of the tenant itself (authorization code
/// with PKCE, confidential, its secret used only inside the server) and the `Gatehouse Operator`
/// role whose Management API permissions are what a dashboard token may carry. Created on first
/// start, and on the first start of a version that has the dashboard for an older tenant.
extension TenantBootstrap {
    public static let dashboardClientName = "Gatehouse Dashboard"
    public static let operatorRoleName = "Gatehouse Operator"

    /// Creates the dashboard client and the operator role unless the tenant has them, and keeps
    /// the client's callback and logout URLs on the configured issuer.
    func provisionDashboard() async throws {
        let issuer = configuration.issuer
        let audience = configuration.managementAudience
        let created = try await storage.transaction { repositories -> String? in
            if let clientID = try await repositories.tenant.value(OperatorAccess.clientSetting),
                var client = try await repositories.clients.get(clientID)
            {
                let urls = DashboardURLs(issuer: issuer)
                if !client.callbacks.contains(urls.callback) || !client.allowed_logout_urls.contains(urls.signedOut) {
                    client.callbacks = Array(Set(client.callbacks + [urls.callback])).sorted()
                    client.allowed_logout_urls = Array(Set(client.allowed_logout_urls + [urls.signedOut])).sorted()
                    try await repositories.clients.update(client)
                }
                return nil
            }
            let now = Timestamp.iso8601(Timestamp.nowMillis())
            let clientID = RandomIdentifier.alphanumeric(length: 32)
            let urls = DashboardURLs(issuer: issuer)
            try await repositories.clients.insert(
                ClientRecord(
                    client_id: clientID, client_secret: RandomIdentifier.token(byteCount: 48), name: Self.dashboardClientName,
                    description:
                        "The Gatehouse dashboard (served by this server at /dashboard). Its users need the Gatehouse Operator role.",
                    app_type: "regular_web", callbacks: [urls.callback], allowed_logout_urls: [urls.signedOut],
                    grant_types: ["authorization_code"], created_at: now, updated_at: now))
            if var connection = try await repositories.connections.get(name: Self.defaultConnectionName) {
                connection.enabled_clients.append(clientID)
                try await repositories.connections.update(connection)
            }
            let roleID = RandomIdentifier.prefixed("rol")
            try await repositories.roles.insert(
                RoleRecord(
                    id: roleID, name: Self.operatorRoleName,
                    description: "Signs in to the Gatehouse dashboard and manages actions, users, applications, APIs and roles there."))
            try await repositories.roles.addPermissions(
                ManagementScopes.operatorScopes.map { PermissionRecord(resource_server_identifier: audience, permission_name: $0) },
                roleID: roleID)
            try await repositories.tenant.set(OperatorAccess.clientSetting, clientID)
            try await repositories.tenant.set(OperatorAccess.roleSetting, roleID)
            return clientID
        }
        if let created {
            logger.info(
                "dashboard client and operator role created: assign the role to a user to let them sign in at /dashboard",
                metadata: ["dashboard_client_id": "\(created)", "role": "\(Self.operatorRoleName)"])
        }
    }
}

/// The dashboard's fixed URLs below the issuer.
public struct DashboardURLs: Sendable {
    public let callback: String
    public let signedOut: String

    public init(issuer: String) {
        callback = issuer + "dashboard/callback"
        signedOut = issuer + "dashboard/signed-out"
    }
}
