import GatehouseCore
import SQLKit

/// Legacy Rules and their shared `configuration` (`/api/v2/rules`, `/api/v2/rules-configs`).
/// Every write bumps the configuration version: the flow runner caches the rules by it.
public protocol RuleRepository: Sendable {
    func get(_ id: String) async throws -> RuleRecord?
    /// Every rule, by `order`.
    func all() async throws -> [RuleRecord]
    /// One page by `order`, only enabled (or only disabled) rules when `enabled` is given.
    func list(_ page: PageRequest, enabled: Bool?) async throws -> Page<RuleRecord>
    /// The highest `order` in use, `nil` without rules.
    func maxOrder() async throws -> Int?
    /// Throws `StorageError.conflict` when the name or the order is taken.
    func insert(_ rule: RuleRecord) async throws
    /// Throws `StorageError.conflict` when the name or the order is taken by another rule.
    func update(_ rule: RuleRecord) async throws
    func delete(_ id: String) async throws -> Bool

    /// The keys of `configuration`, sorted (values are write-only).
    func configurationKeys() async throws -> [String]
    /// Every `configuration` value, unsealed: what rules read as `configuration.KEY`.
    func configuration() async throws -> [String: String]
    func setConfiguration(key: String, value: String) async throws
    func deleteConfiguration(key: String) async throws -> Bool
}

struct SQLRuleRepository: RuleRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    private func decode(_ row: any SQLRow) throws -> RuleRecord {
        try DocumentCoding.decode(RuleRecord.self, from: row, table: "rules", id: try row.decode(column: "id", as: String.self))
    }

    func get(_ id: String) async throws -> RuleRecord? {
        try await db.select().columns("id", "document").from("rules").where("id", .equal, id).first().map(decode)
    }

    func all() async throws -> [RuleRecord] {
        try await db.select().columns("id", "document").from("rules").orderBy("rule_order").all().map(decode)
    }

    func list(_ page: PageRequest, enabled: Bool?) async throws -> Page<RuleRecord> {
        try await db.page(
            of: "rules", columns: ["id", "document"], order: ["rule_order"],
            filter: { query in enabled.map { query.where("enabled", .equal, $0 ? 1 : 0) } ?? query }, page, decode: decode)
    }

    func maxOrder() async throws -> Int? {
        try await db.select().column(SQLFunction("MAX", args: SQLColumn("rule_order")), as: "n").from("rules").first()?
            .decode(column: "n", as: Int?.self)
    }

    func insert(_ rule: RuleRecord) async throws {
        let document = try DocumentCoding.encode(rule)
        try await db.insertUnique("a rule with this name or order") { db in
            db.insert(into: "rules").columns("id", "name", "rule_order", "enabled", "document", "created_at")
                .values(
                    SQLBind(rule.id), SQLBind(rule.name), SQLBind(rule.order), SQLBind(rule.enabled ? 1 : 0), SQLBind(document),
                    SQLBind(Timestamp.nowMillis()))
        }
        try await db.bumpConfigurationVersion()
    }

    func update(_ rule: RuleRecord) async throws {
        do {
            try await db.update("rules").set("document", to: try DocumentCoding.encode(rule)).set("name", to: rule.name)
                .set("rule_order", to: rule.order).set("enabled", to: rule.enabled ? 1 : 0).where("id", .equal, rule.id).run()
        } catch  where StorageError.isUniqueViolation(error) {
            throw StorageError.conflict("a rule with this name or order")
        }
        try await db.bumpConfigurationVersion()
    }

    func delete(_ id: String) async throws -> Bool {
        guard try await get(id) != nil else { return false }
        try await db.delete(from: "rules").where("id", .equal, id).run()
        try await db.bumpConfigurationVersion()
        return true
    }

    func configurationKeys() async throws -> [String] {
        try await db.select().column("config_key").from("rules_configs").orderBy("config_key").all()
            .map { try $0.decode(column: "config_key", as: String.self) }
    }

    func configuration() async throws -> [String: String] {
        var values: [String: String] = [:]
        for row in try await db.select().columns("config_key", "sealed_value").from("rules_configs").all() {
            values[try row.decode(column: "config_key", as: String.self)] = try masterKey.open(
                try row.decode(column: "sealed_value", as: String.self))
        }
        return values
    }

    func setConfiguration(key: String, value: String) async throws {
        let sealed = try masterKey.seal(value)
        let now = Timestamp.nowMillis()
        let updated = try await db.update("rules_configs").set("sealed_value", to: sealed).set("updated_at", to: now)
            .where("config_key", .equal, key).returning("config_key").all()
        if updated.isEmpty {
            do {
                try await db.insertUnique("rules config \(key)") { db in
                    db.insert(into: "rules_configs").columns("config_key", "sealed_value", "updated_at")
                        .values(SQLBind(key), SQLBind(sealed), SQLBind(now))
                }
            } catch StorageError.conflict {
                // Set at the same moment by another request: the last write wins, as for an update.
                try await db.update("rules_configs").set("sealed_value", to: sealed).set("updated_at", to: now)
                    .where("config_key", .equal, key).run()
            }
        }
        try await db.bumpConfigurationVersion()
    }

    func deleteConfiguration(key: String) async throws -> Bool {
        let deleted = try await db.delete(from: "rules_configs").where("config_key", .equal, key).returning("config_key").all()
        guard !deleted.isEmpty else { return false }
        try await db.bumpConfigurationVersion()
        return true
    }
}
