import GatehouseCore
import GatehouseStorage
import Synchronization

/// Which Management API scopes a user's token may carry. An end user's token carries the
/// current-user scopes only (`ManagementScopes.currentUser`) — except a token issued to the
/// dashboard client, which also carries the operator scopes its user's roles grant on the
/// Management API (never more than `ManagementScopes.operatorScopes`). The Management API asks
/// again on every request, so taking the role away ends the access at once.
public final class OperatorAccess: Sendable {
    /// Tenant settings naming the dashboard client and the operator role (no API writes them).
    static let clientSetting = "dashboard_client_id"
    static let roleSetting = "dashboard_operator_role_id"

    let storage: Storage
    let audience: String
    private let clientID = Mutex<String?>(nil)

    public init(storage: Storage, audience: String) {
        self.storage = storage
        self.audience = audience
    }

    /// The dashboard's client id (set once by first-start provisioning, then cached).
    public func dashboardClientID() async throws -> String? {
        if let known = clientID.withLock({ $0 }) { return known }
        let stored = try await storage.read { try await $0.tenant.value(Self.clientSetting) }
        if let stored { clientID.withLock { $0 = stored } }
        return stored
    }

    /// The operator role's id, for the CLI and the README's instructions.
    public func operatorRoleID() async throws -> String? {
        try await storage.read { try await $0.tenant.value(Self.roleSetting) }
    }

    /// The Management API scopes a token of `userID` issued to `clientID` may carry.
    public func managementScopes(userID: String, clientID: String?) async throws -> Set<String> {
        guard let clientID, let dashboard = try await dashboardClientID(), clientID == dashboard else {
            return ManagementScopes.currentUser
        }
        let audience = audience
        let granted = try await storage.read { repositories in
            let roleIDs = try await repositories.roles.roles(ofUser: userID).map(\.id)
            guard !roleIDs.isEmpty else { return Set<String>() }
            return Set(
                try await repositories.roles.permissions(roleIDs: roleIDs).filter { $0.resource_server_identifier == audience }
                    .map(\.permission_name))
        }
        return ManagementScopes.currentUser.union(granted.intersection(ManagementScopes.operatorScopes))
    }
}
