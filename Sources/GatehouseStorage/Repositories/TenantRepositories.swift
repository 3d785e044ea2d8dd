import GatehouseCore
import SQLKit

/// Small named values of the tenant (e.g. whether first-start provisioning ran).
public protocol TenantSettingsRepository: Sendable {
    func value(_ name: String) async throws -> String?
    func set(_ name: String, _ value: String) async throws
    /// Stores `value` under a name that must not exist yet: `StorageError.conflict` when it does
    /// (the primary key decides, so two concurrent inserts cannot both succeed).
    func insert(_ name: String, _ value: String) async throws
    /// Deletes the value; `false` when there was none.
    func remove(_ name: String) async throws -> Bool
    /// The counter that every configuration write bumps (see `bumpConfigurationVersion`).
    func configurationVersion() async throws -> Int64
}

struct SQLTenantSettingsRepository: TenantSettingsRepository {
    let db: any SQLDatabase

    func value(_ name: String) async throws -> String? {
        try await db.select().column("value").from("tenant_settings").where("name", .equal, name).first()?
            .decode(column: "value", as: String.self)
    }

    func set(_ name: String, _ value: String) async throws {
        try await db.delete(from: "tenant_settings").where("name", .equal, name).run()
        try await db.insert(into: "tenant_settings").columns("name", "value").values(SQLBind(name), SQLBind(value)).run()
    }

    func insert(_ name: String, _ value: String) async throws {
        try await db.insertUnique("tenant setting \(name)") { db in
            db.insert(into: "tenant_settings").columns("name", "value").values(SQLBind(name), SQLBind(value))
        }
    }

    func remove(_ name: String) async throws -> Bool {
        let existed = try await value(name) != nil
        try await db.delete(from: "tenant_settings").where("name", .equal, name).run()
        return existed
    }

    func configurationVersion() async throws -> Int64 {
        try await db.select().column("version").from("configuration_version").where("id", .equal, 1).first()?
            .decode(column: "version", as: Int64.self) ?? 0
    }
}

/// Signing keys, newest first. Retired keys stay published in the JWKS until removed.
public protocol SigningKeyRepository: Sendable {
    func all() async throws -> [SigningKeyRecord]
    func insert(_ key: SigningKeyRecord) async throws
}

struct SQLSigningKeyRepository: SigningKeyRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    func all() async throws -> [SigningKeyRecord] {
        try await db.select().columns("kid", "sealed_private_key", "created_at", "retired_at").from("signing_keys")
            .orderBy("created_at", .descending).all()
            .map { row in
                SigningKeyRecord(
                    kid: try row.decode(column: "kid", as: String.self),
                    private_key_pem: try masterKey.open(try row.decode(column: "sealed_private_key", as: String.self)),
                    created_at: try row.decode(column: "created_at", as: Int64.self),
                    retired_at: try row.decode(column: "retired_at", as: Int64?.self))
            }
    }

    func insert(_ key: SigningKeyRecord) async throws {
        let sealed = try masterKey.seal(key.private_key_pem)
        try await db.insertUnique("signing key \(key.kid)") { db in
            db.insert(into: "signing_keys").columns("kid", "sealed_private_key", "created_at", "retired_at")
                .values(SQLBind(key.kid), SQLBind(sealed), SQLBind(key.created_at), SQLBind(key.retired_at))
        }
    }
}
