import GatehouseCore
import SQLKit

/// One live `api.cache` entry of a trigger (`auth0-actions.md` §3.8).
public struct ActionCacheEntry: Sendable, Equatable {
    public var key: String
    public var value: String
    public var expires_at: EpochMillis

    public init(key: String, value: String, expires_at: EpochMillis) {
        self.key = key
        self.value = value
        self.expires_at = expires_at
    }
}

/// The `api.cache` of every trigger, shared by all instances of the server.
public protocol ActionCacheRepository: Sendable {
    /// The trigger's entries that have not expired at `now`.
    func entries(trigger: String, now: EpochMillis) async throws -> [ActionCacheEntry]
    /// Writes `set` (insert or replace) and removes `deleted` keys, then drops expired entries.
    func apply(trigger: String, set: [ActionCacheEntry], deleted: [String], now: EpochMillis) async throws
}

struct SQLActionCacheRepository: ActionCacheRepository {
    let db: any SQLDatabase

    func entries(trigger: String, now: EpochMillis) async throws -> [ActionCacheEntry] {
        try await db.select().columns("cache_key", "value", "expires_at").from("action_cache")
            .where("trigger_id", .equal, trigger).where("expires_at", .greaterThan, now).orderBy("cache_key").all()
            .map { row in
                ActionCacheEntry(
                    key: try row.decode(column: "cache_key", as: String.self), value: try row.decode(column: "value", as: String.self),
                    expires_at: try row.decode(column: "expires_at", as: Int64.self))
            }
    }

    func apply(trigger: String, set: [ActionCacheEntry], deleted: [String], now: EpochMillis) async throws {
        let keys = set.map(\.key) + deleted
        if !keys.isEmpty {
            try await db.delete(from: "action_cache").where("trigger_id", .equal, trigger).where("cache_key", .in, keys).run()
        }
        for entry in set {
            try await db.insert(into: "action_cache").columns("trigger_id", "cache_key", "value", "expires_at")
                .values(SQLBind(trigger), SQLBind(entry.key), SQLBind(entry.value), SQLBind(entry.expires_at)).run()
        }
        try await db.delete(from: "action_cache").where("expires_at", .lessThanOrEqual, now).run()
    }
}
