import GatehouseCore
import SQLKit

/// Legacy Hooks and their secrets (`/api/v2/hooks`, `/api/v2/hooks/{id}/secrets`). Secrets are
/// one sealed JSON object per hook. Every write bumps the configuration version: the flow runner
/// caches the enabled hooks by it.
public protocol HookRepository: Sendable {
    func get(_ id: String) async throws -> HookRecord?
    /// Every hook, by creation.
    func all() async throws -> [HookRecord]
    /// One page by creation, only enabled (or disabled) hooks, or one extensibility point's.
    func list(_ page: PageRequest, enabled: Bool?, triggerID: String?) async throws -> Page<HookRecord>
    /// The enabled hook of an extensibility point, if any.
    func enabled(triggerID: String) async throws -> HookRecord?
    /// Throws `StorageError.conflict` when the name is taken or another hook of the same
    /// extensibility point is enabled.
    func insert(_ hook: HookRecord, secrets: [String: String]) async throws
    /// Same conflicts as `insert`.
    func update(_ hook: HookRecord) async throws
    func delete(_ id: String) async throws -> Bool
    /// The hook's secrets, unsealed (`context.webtask.secrets`); empty for an unknown hook.
    func secrets(_ id: String) async throws -> [String: String]
    func setSecrets(_ id: String, _ secrets: [String: String]) async throws
}

struct SQLHookRepository: HookRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    private func decode(_ row: any SQLRow) throws -> HookRecord {
        try DocumentCoding.decode(HookRecord.self, from: row, table: "hooks", id: try row.decode(column: "id", as: String.self))
    }

    private func seal(_ secrets: [String: String]) throws -> String {
        try masterKey.seal(JSONValue.object(secrets.mapValues(JSONValue.string)).jsonText())
    }

    func get(_ id: String) async throws -> HookRecord? {
        try await db.select().columns("id", "document").from("hooks").where("id", .equal, id).first().map(decode)
    }

    func all() async throws -> [HookRecord] {
        try await db.select().columns("id", "document").from("hooks").orderBy("created_at").orderBy("id").all().map(decode)
    }

    func list(_ page: PageRequest, enabled: Bool?, triggerID: String?) async throws -> Page<HookRecord> {
        try await db.page(
            of: "hooks", columns: ["id", "document"], order: ["created_at", "id"],
            filter: { query in
                var query = query
                if let enabled { query = query.where("enabled", .equal, enabled ? 1 : 0) }
                if let triggerID { query = query.where("trigger_id", .equal, triggerID) }
                return query
            }, page, decode: decode)
    }

    func enabled(triggerID: String) async throws -> HookRecord? {
        try await db.select().columns("id", "document").from("hooks").where("trigger_id", .equal, triggerID)
            .where("enabled", .equal, 1).first().map(decode)
    }

    func insert(_ hook: HookRecord, secrets: [String: String]) async throws {
        let document = try DocumentCoding.encode(hook)
        let sealed = try seal(secrets)
        try await db.insertUnique("a hook with this name, or an enabled hook of this extensibility point") { db in
            db.insert(into: "hooks").columns("id", "name", "trigger_id", "enabled", "document", "sealed_secrets", "created_at")
                .values(
                    SQLBind(hook.id), SQLBind(hook.name), SQLBind(hook.triggerId), SQLBind(hook.enabled ? 1 : 0), SQLBind(document),
                    SQLBind(sealed), SQLBind(Timestamp.nowMillis()))
        }
        try await db.bumpConfigurationVersion()
    }

    func update(_ hook: HookRecord) async throws {
        do {
            try await db.update("hooks").set("document", to: try DocumentCoding.encode(hook)).set("name", to: hook.name)
                .set("enabled", to: hook.enabled ? 1 : 0).where("id", .equal, hook.id).run()
        } catch  where StorageError.isUniqueViolation(error) {
            throw StorageError.conflict("a hook with this name, or an enabled hook of this extensibility point")
        }
        try await db.bumpConfigurationVersion()
    }

    func delete(_ id: String) async throws -> Bool {
        let deleted = try await db.delete(from: "hooks").where("id", .equal, id).returning("id").all()
        guard !deleted.isEmpty else { return false }
        try await db.bumpConfigurationVersion()
        return true
    }

    func secrets(_ id: String) async throws -> [String: String] {
        guard let row = try await db.select().column("sealed_secrets").from("hooks").where("id", .equal, id).first() else { return [:] }
        let text = try masterKey.open(try row.decode(column: "sealed_secrets", as: String.self))
        return (JSONValue(jsonText: text)?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    func setSecrets(_ id: String, _ secrets: [String: String]) async throws {
        try await db.update("hooks").set("sealed_secrets", to: try seal(secrets)).where("id", .equal, id).run()
        try await db.bumpConfigurationVersion()
    }
}
