import GatehouseCore
import GatehouseSandbox
import GatehouseStorage
import Synchronization

/// `api.cache` (`auth0-actions.md` §3.8): entries per trigger, kept in the database so that every
/// instance sees them. Each instance reads a trigger's entries at most once per `refreshAfter`
/// and sees its own writes at once; another instance's writes reach it within `refreshAfter`.
/// Auth0 guarantees no more ("reliable within one execution; not guaranteed across executions").
public final class ActionCache: Sendable {
    let storage: Storage
    let refreshAfter: Duration
    private let snapshots = Mutex<[String: Snapshot]>([:])

    struct Snapshot {
        var loaded: ContinuousClock.Instant
        var entries: [String: CacheEntry]
    }

    public init(storage: Storage, refreshAfter: Duration = .seconds(1)) {
        self.storage = storage
        self.refreshAfter = refreshAfter
    }

    /// The trigger's live entries, sent to the runner with each flow.
    public func snapshot(trigger: String) async throws -> [String: CacheEntry] {
        let now = Timestamp.nowMillis()
        if let cached = snapshots.withLock({ $0[trigger] }), ContinuousClock.now - cached.loaded < refreshAfter {
            return cached.entries.filter { $0.value.expiresAt > now }
        }
        let loaded = try await storage.read { try await $0.actionCache.entries(trigger: trigger, now: now) }
        let entries = Dictionary(loaded.map { ($0.key, CacheEntry(value: $0.value, expiresAt: $0.expires_at)) }) { _, last in last }
        snapshots.withLock { $0[trigger] = Snapshot(loaded: .now, entries: entries) }
        return entries
    }

    /// Persists the `api.cache.set` / `api.cache.delete` commands of a flow (the runner has
    /// already checked them against the limits).
    public func apply(trigger: String, commands: [Command]) async throws {
        var set: [String: ActionCacheEntry] = [:]
        var deleted: Set<String> = []
        for command in commands {
            switch command.method {
            case "api.cache.set":
                guard command.args.count >= 2, let key = command.args[0].stringValue, let value = command.args[1].stringValue,
                    let expiresAt = command.args.count > 2 ? command.args[2]["expires_at"]?.numberValue : nil
                else { continue }
                set[key] = ActionCacheEntry(key: key, value: value, expires_at: EpochMillis(expiresAt))
                deleted.remove(key)
            case "api.cache.delete":
                guard let key = command.args.first?.stringValue else { continue }
                set.removeValue(forKey: key)
                deleted.insert(key)
            default:
                continue
            }
        }
        guard !set.isEmpty || !deleted.isEmpty else { return }
        let entries = Array(set.values)
        let removed = Array(deleted)
        try await storage.read {
            try await $0.actionCache.apply(trigger: trigger, set: entries, deleted: removed, now: Timestamp.nowMillis())
        }
        snapshots.withLock { snapshots in
            guard var snapshot = snapshots[trigger] else { return }
            for entry in entries { snapshot.entries[entry.key] = CacheEntry(value: entry.value, expiresAt: entry.expires_at) }
            for key in removed { snapshot.entries.removeValue(forKey: key) }
            snapshots[trigger] = snapshot
        }
    }
}
