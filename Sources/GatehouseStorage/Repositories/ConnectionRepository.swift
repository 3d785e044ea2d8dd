import GatehouseCore
import SQLKit

public protocol ConnectionRepository: Sendable {
    func get(id: String) async throws -> ConnectionRecord?
    func get(name: String) async throws -> ConnectionRecord?
    func list(_ page: PageRequest) async throws -> Page<ConnectionRecord>
    func insert(_ connection: ConnectionRecord) async throws
    func update(_ connection: ConnectionRecord) async throws
    func delete(id: String) async throws -> Bool
}

struct SQLConnectionRepository: ConnectionRepository {
    let db: any SQLDatabase

    private func decode(_ row: any SQLRow) throws -> ConnectionRecord {
        try DocumentCoding.decode(
            ConnectionRecord.self, from: row, table: "connections", id: try row.decode(column: "id", as: String.self))
    }

    func get(id: String) async throws -> ConnectionRecord? {
        try await db.select().columns("id", "document").from("connections").where("id", .equal, id).first().map(decode)
    }

    func get(name: String) async throws -> ConnectionRecord? {
        try await db.select().columns("id", "document").from("connections").where("name", .equal, name).first()
            .map(decode)
    }

    func list(_ page: PageRequest) async throws -> Page<ConnectionRecord> {
        try await db.page(of: "connections", columns: ["id", "document"], page, decode: decode)
    }

    func insert(_ connection: ConnectionRecord) async throws {
        let document = try DocumentCoding.encode(connection)
        try await db.insertUnique("a connection named \(connection.name)") { db in
            db.insert(into: "connections").columns("id", "name", "document", "created_at")
                .values(SQLBind(connection.id), SQLBind(connection.name), SQLBind(document), SQLBind(Timestamp.nowMillis()))
        }
        try await db.bumpConfigurationVersion()
    }

    func update(_ connection: ConnectionRecord) async throws {
        try await db.update("connections").set("document", to: try DocumentCoding.encode(connection))
            .where("id", .equal, connection.id).run()
        try await db.bumpConfigurationVersion()
    }

    func delete(id: String) async throws -> Bool {
        guard let connection = try await get(id: id) else { return false }
        try await db.delete(from: "users").where("connection", .equal, connection.name).run()
        try await db.delete(from: "connections").where("id", .equal, id).run()
        try await db.bumpConfigurationVersion()
        return true
    }
}
