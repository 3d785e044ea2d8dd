import GatehouseCore
import SQLKit

public protocol RoleRepository: Sendable {
    func get(_ id: String) async throws -> RoleRecord?
    func list(_ page: PageRequest, nameFilter: String?) async throws -> Page<RoleRecord>
    func insert(_ role: RoleRecord) async throws
    func update(_ role: RoleRecord) async throws
    func delete(_ id: String) async throws -> Bool
    func permissions(roleIDs: [String]) async throws -> [PermissionRecord]
    func addPermissions(_ permissions: [PermissionRecord], roleID: String) async throws
    func removePermissions(_ permissions: [PermissionRecord], roleID: String) async throws
    func roles(ofUser userID: String) async throws -> [RoleRecord]
    func assign(roleIDs: [String], toUser userID: String) async throws
    func unassign(roleIDs: [String], fromUser userID: String) async throws
}

struct SQLRoleRepository: RoleRepository {
    let db: any SQLDatabase

    private func decode(_ row: any SQLRow) throws -> RoleRecord {
        try DocumentCoding.decode(RoleRecord.self, from: row, table: "roles", id: try row.decode(column: "id", as: String.self))
    }

    func get(_ id: String) async throws -> RoleRecord? {
        try await db.select().columns("id", "document").from("roles").where("id", .equal, id).first().map(decode)
    }

    func list(_ page: PageRequest, nameFilter: String?) async throws -> Page<RoleRecord> {
        try await db.page(
            of: "roles", columns: ["id", "document"], order: ["name"],
            filter: { query in nameFilter.map { query.where("name", .like, "%\($0)%") } ?? query }, page, decode: decode)
    }

    func insert(_ role: RoleRecord) async throws {
        let document = try DocumentCoding.encode(role)
        try await db.insertUnique("a role named \(role.name)") { db in
            db.insert(into: "roles").columns("id", "name", "document", "created_at")
                .values(SQLBind(role.id), SQLBind(role.name), SQLBind(document), SQLBind(Timestamp.nowMillis()))
        }
    }

    func update(_ role: RoleRecord) async throws {
        do {
            try await db.update("roles").set("document", to: try DocumentCoding.encode(role)).set("name", to: role.name)
                .where("id", .equal, role.id).run()
        } catch  where StorageError.isUniqueViolation(error) {
            throw StorageError.conflict("a role named \(role.name)")
        }
    }

    func delete(_ id: String) async throws -> Bool {
        guard try await get(id) != nil else { return false }
        try await db.delete(from: "user_roles").where("role_id", .equal, id).run()
        try await db.delete(from: "role_permissions").where("role_id", .equal, id).run()
        try await db.delete(from: "roles").where("id", .equal, id).run()
        return true
    }

    func permissions(roleIDs: [String]) async throws -> [PermissionRecord] {
        guard !roleIDs.isEmpty else { return [] }
        let rows = try await db.select().columns("resource_server_identifier", "permission_name").distinct()
            .from("role_permissions").where("role_id", .in, roleIDs)
            .orderBy("resource_server_identifier").orderBy("permission_name").all()
        return try rows.map {
            PermissionRecord(
                resource_server_identifier: try $0.decode(column: "resource_server_identifier", as: String.self),
                permission_name: try $0.decode(column: "permission_name", as: String.self))
        }
    }

    func addPermissions(_ permissions: [PermissionRecord], roleID: String) async throws {
        try await removePermissions(permissions, roleID: roleID)
        for permission in permissions {
            try await db.insert(into: "role_permissions").columns("role_id", "resource_server_identifier", "permission_name")
                .values(SQLBind(roleID), SQLBind(permission.resource_server_identifier), SQLBind(permission.permission_name))
                .run()
        }
    }

    func removePermissions(_ permissions: [PermissionRecord], roleID: String) async throws {
        for permission in permissions {
            try await db.delete(from: "role_permissions").where("role_id", .equal, roleID)
                .where("resource_server_identifier", .equal, permission.resource_server_identifier)
                .where("permission_name", .equal, permission.permission_name).run()
        }
    }

    func roles(ofUser userID: String) async throws -> [RoleRecord] {
        try await db.select().columns(SQLColumn("id", table: "roles"), SQLColumn("document", table: "roles"))
            .from("roles").join("user_roles", on: SQLColumn("role_id", table: "user_roles"), .equal, SQLColumn("id", table: "roles"))
            .where(SQLColumn("user_id", table: "user_roles"), .equal, SQLBind(userID))
            .orderBy(SQLColumn("name", table: "roles")).all().map(decode)
    }

    func assign(roleIDs: [String], toUser userID: String) async throws {
        try await unassign(roleIDs: roleIDs, fromUser: userID)
        for roleID in roleIDs {
            try await db.insert(into: "user_roles").columns("user_id", "role_id")
                .values(SQLBind(userID), SQLBind(roleID)).run()
        }
    }

    func unassign(roleIDs: [String], fromUser userID: String) async throws {
        guard !roleIDs.isEmpty else { return }
        try await db.delete(from: "user_roles").where("user_id", .equal, userID).where("role_id", .in, roleIDs).run()
    }
}
