import Foundation
import GatehouseCore
import GatehouseStorage
import Synchronization

/// Clients, APIs and client grants kept in memory for the token endpoint.
///
/// Every write to them bumps a counter in the database; each lookup reads that counter (one
/// small query) and drops the cache when it moved. So every instance sees a change at its next
/// request, while the hot path decodes no documents and opens no sealed secrets.
public final class ConfigurationCache: Sendable {
    private struct State {
        var version: Int64 = -1
        var clients: [String: ClientRecord?] = [:]
        var apis: [String: ResourceServerRecord?] = [:]
        var grants: [String: ClientGrantRecord?] = [:]
    }

    private let storage: Storage
    private let state = Mutex(State())

    public init(storage: Storage) {
        self.storage = storage
    }

    /// A view of the configuration as of one version read.
    public struct Snapshot: Sendable {
        let cache: ConfigurationCache
        public let version: Int64

        public func client(_ id: String) async throws -> ClientRecord? {
            try await cache.lookup(\.clients, key: id, version: version) { try await $0.clients.get(id) }
        }

        /// The API whose `identifier` is exactly `audience`.
        public func api(identifier audience: String) async throws -> ResourceServerRecord? {
            try await cache.lookup(\.apis, key: audience, version: version) { repositories in
                let found = try await repositories.resourceServers.get(idOrIdentifier: audience)
                return found?.identifier == audience ? found : nil
            }
        }

        public func grant(clientID: String, audience: String) async throws -> ClientGrantRecord? {
            try await cache.lookup(\.grants, key: clientID + "\u{0}" + audience, version: version) {
                try await $0.clientGrants.find(clientID: clientID, audience: audience)
            }
        }
    }

    /// Reads the current version and returns a snapshot valid for it.
    public func snapshot() async throws -> Snapshot {
        let version = try await storage.read { try await $0.tenant.configurationVersion() }
        state.withLock { state in
            if state.version != version { state = State(version: version) }
        }
        return Snapshot(cache: self, version: version)
    }

    private func lookup<Value: Sendable>(
        _ table: WritableKeyPath<State, [String: Value?]>, key: String, version: Int64,
        load: @escaping @Sendable (Repositories) async throws -> Value?
    ) async throws -> Value? {
        if let cached = state.withLock({ $0.version == version ? $0[keyPath: table][key] : nil }) {
            return cached
        }
        let loaded = try await storage.read(load)
        state.withLock { state in
            // Only cache under the version that was read before loading: newer data under an
            // older version is harmless, older data under a newer version never happens.
            if state.version == version { state[keyPath: table][key] = .some(loaded) }
        }
        return loaded
    }
}
