import Foundation
import GatehouseCore
import GatehouseStorage
import Logging

/// Auth0's Attack Protection, server side: the tenant's settings, the counters a password login
/// reserves before its hash is checked, and the user blocks the Management API lists and lifts.
public struct AttackProtection: Sendable {
    static let bruteForceSetting = "attack_protection.brute_force"
    static let throttlingSetting = "attack_protection.suspicious_ip_throttling"

    let storage: Storage
    let configuration: GatehouseConfiguration
    let logger: Logger

    public init(storage: Storage, configuration: GatehouseConfiguration, logger: Logger) {
        self.storage = storage
        self.configuration = configuration
        self.logger = logger
    }

    /// The tenant's brute-force settings; `max_attempts` defaults to `failedLoginLimit`.
    static func bruteForce(_ repositories: Repositories, configuration: GatehouseConfiguration) async throws
        -> BruteForceProtectionSettings
    {
        guard let text = try await repositories.tenant.value(bruteForceSetting) else {
            return BruteForceProtectionSettings(max_attempts: max(1, configuration.failedLoginLimit))
        }
        return try JSONDecoder().decode(BruteForceProtectionSettings.self, from: Data(text.utf8))
    }

    static func throttling(_ repositories: Repositories) async throws -> SuspiciousIPThrottlingSettings {
        guard let text = try await repositories.tenant.value(throttlingSetting) else { return SuspiciousIPThrottlingSettings() }
        return try JSONDecoder().decode(SuspiciousIPThrottlingSettings.self, from: Data(text.utf8))
    }

    static func store(_ value: some Encodable, as name: String, in repositories: Repositories) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try await repositories.tenant.set(name, String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    public func bruteForceSettings() async throws -> BruteForceProtectionSettings {
        let configuration = configuration
        return try await storage.read { try await Self.bruteForce($0, configuration: configuration) }
    }

    public func throttlingSettings() async throws -> SuspiciousIPThrottlingSettings {
        try await storage.read { try await Self.throttling($0) }
    }

    /// Applies a PATCH body (validated first: nothing is written when a member is wrong).
    public func updateBruteForce(_ patch: [String: JSONValue]) async throws -> BruteForceProtectionSettings {
        let configuration = configuration
        return try await storage.transaction { repositories in
            let updated = try await Self.bruteForce(repositories, configuration: configuration).patched(with: patch)
            try await Self.store(updated, as: Self.bruteForceSetting, in: repositories)
            return updated
        }
    }

    public func updateThrottling(_ patch: [String: JSONValue]) async throws -> SuspiciousIPThrottlingSettings {
        try await storage.transaction { repositories in
            let updated = try await Self.throttling(repositories).patched(with: patch)
            try await Self.store(updated, as: Self.throttlingSetting, in: repositories)
            return updated
        }
    }

    // MARK: User blocks

    /// The brute-force blocks of the users `identifier` names (email, username; any connection)
    /// and of `identifier` itself as typed for nobody. With `enforcedOnly`, only blocks that
    /// stop a login now (protection on with the `block` shield, IP not allowlisted).
    public func blocks(identifier: String, enforcedOnly: Bool = false) async throws -> [LoginBlockRecord] {
        let configuration = configuration
        return try await storage.read { repositories in
            let users = try await Self.users(named: identifier, in: repositories)
            let settings = try await Self.bruteForce(repositories, configuration: configuration)
            let blocks = try await repositories.loginAttempts.blocks(
                userIDs: users.map(\.user_id), identifiers: [identifier], limit: settings.max_attempts)
            return enforcedOnly ? blocks.filter { settings.blocks && !settings.allows($0.ip) } : blocks
        }
    }

    /// The blocks of one user; `nil` when the user does not exist.
    public func blocks(userID: String, enforcedOnly: Bool = false) async throws -> [LoginBlockRecord]? {
        let configuration = configuration
        return try await storage.read { repositories in
            guard try await repositories.users.get(userID) != nil else { return nil }
            let settings = try await Self.bruteForce(repositories, configuration: configuration)
            let blocks = try await repositories.loginAttempts.blocks(userIDs: [userID], identifiers: [], limit: settings.max_attempts)
            return enforcedOnly ? blocks.filter { settings.blocks && !settings.allows($0.ip) } : blocks
        }
    }

    /// Lifts every block (and count) of the users `identifier` names and of `identifier` itself.
    public func unblock(identifier: String) async throws {
        try await storage.transaction { repositories in
            let users = try await Self.users(named: identifier, in: repositories)
            try await repositories.loginAttempts.clear(userIDs: users.map(\.user_id), identifiers: [identifier])
        }
    }

    /// Lifts every block of one user; `false` when the user does not exist.
    public func unblock(userID: String) async throws -> Bool {
        try await storage.transaction { repositories in
            guard try await repositories.users.get(userID) != nil else { return false }
            try await repositories.loginAttempts.clear(userIDs: [userID], identifiers: [])
            return true
        }
    }

    /// **The hook of a password reset**: a user who proved they own the account (a completed
    /// password-reset ticket, the e-mailed reset link of the change-password flow, or an administrator
    /// setting a new password) is unblocked from every IP, as on Auth0. Call it inside the
    /// transaction that stores the new password hash.
    public static func passwordWasReset(userID: String, in repositories: Repositories) async throws {
        try await repositories.loginAttempts.clear(userIDs: [userID], identifiers: [])
    }

    static func users(named identifier: String, in repositories: Repositories) async throws -> [UserRecord] {
        let connections = try await repositories.connections.list(PageRequest(page: 0, perPage: 100)).items
        var users: [UserRecord] = []
        for connection in connections where connection.strategy == "auth0" {
            if let user = try await repositories.users.find(connection: connection.name, login: identifier) { users.append(user) }
        }
        return users
    }
}
