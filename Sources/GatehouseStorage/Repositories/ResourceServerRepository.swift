import GatehouseCore
import SQLKit

public protocol ResourceServerRepository: Sendable {
    /// By `id` or by `identifier` (Auth0 accepts either in `/resource-servers/{id}`).
    func get(idOrIdentifier: String) async throws -> ResourceServerRecord?
    func list(_ page: PageRequest) async throws -> Page<ResourceServerRecord>
    func insert(_ server: ResourceServerRecord) async throws
    func update(_ server: ResourceServerRecord) async throws
    func delete(_ id: String) async throws -> Bool
}

struct SQLResourceServerRepository: ResourceServerRepository {
    let db: any SQLDatabase

    private func decode(_ row: any SQLRow) throws -> ResourceServerRecord {
        try DocumentCoding.decode(
            ResourceServerRecord.self, from: row, table: "resource_servers", id: try row.decode(column: "id", as: String.self))
    }

    func get(idOrIdentifier: String) async throws -> ResourceServerRecord? {
        try await db.select().columns("id", "document").from("resource_servers")
            .where("id", .equal, idOrIdentifier).orWhere("identifier", .equal, idOrIdentifier).first().map(decode)
    }

    func list(_ page: PageRequest) async throws -> Page<ResourceServerRecord> {
        try await db.page(of: "resource_servers", columns: ["id", "document"], page, decode: decode)
    }

    func insert(_ server: ResourceServerRecord) async throws {
        let document = try DocumentCoding.encode(server)
        try await db.insertUnique("a resource server with identifier \(server.identifier)") { db in
            db.insert(into: "resource_servers").columns("id", "identifier", "document", "created_at")
                .values(SQLBind(server.id), SQLBind(server.identifier), SQLBind(document), SQLBind(Timestamp.nowMillis()))
        }
        try await db.bumpConfigurationVersion()
    }

    func update(_ server: ResourceServerRecord) async throws {
        try await db.update("resource_servers").set("document", to: try DocumentCoding.encode(server))
            .where("id", .equal, server.id).run()
        try await db.bumpConfigurationVersion()
    }

    func delete(_ id: String) async throws -> Bool {
        guard let server = try await get(idOrIdentifier: id) else { return false }
        try await db.delete(from: "client_grants").where("audience", .equal, server.identifier).run()
        try await db.delete(from: "role_permissions").where("resource_server_identifier", .equal, server.identifier).run()
        try await db.delete(from: "resource_servers").where("id", .equal, server.id).run()
        try await db.bumpConfigurationVersion()
        return true
    }
}

public protocol ClientGrantRepository: Sendable {
    func get(_ id: String) async throws -> ClientGrantRecord?
    func find(clientID: String, audience: String) async throws -> ClientGrantRecord?
    func list(clientID: String?, audience: String?, _ page: PageRequest) async throws -> Page<ClientGrantRecord>
    func insert(_ grant: ClientGrantRecord) async throws
    func update(_ grant: ClientGrantRecord) async throws
    func delete(_ id: String) async throws -> Bool
}

struct SQLClientGrantRepository: ClientGrantRepository {
    let db: any SQLDatabase

    private func decode(_ row: any SQLRow) throws -> ClientGrantRecord {
        try DocumentCoding.decode(
            ClientGrantRecord.self, from: row, table: "client_grants", id: try row.decode(column: "id", as: String.self))
    }

    func get(_ id: String) async throws -> ClientGrantRecord? {
        try await db.select().columns("id", "document").from("client_grants").where("id", .equal, id).first()
            .map(decode)
    }

    func find(clientID: String, audience: String) async throws -> ClientGrantRecord? {
        try await db.select().columns("id", "document").from("client_grants")
            .where("client_id", .equal, clientID).where("audience", .equal, audience).first().map(decode)
    }

    func list(clientID: String?, audience: String?, _ page: PageRequest) async throws -> Page<ClientGrantRecord> {
        try await db.page(
            of: "client_grants", columns: ["id", "document"],
            filter: { query in
                var query = query
                if let clientID { query = query.where("client_id", .equal, clientID) }
                if let audience { query = query.where("audience", .equal, audience) }
                return query
            }, page, decode: decode)
    }

    func insert(_ grant: ClientGrantRecord) async throws {
        let document = try DocumentCoding.encode(grant)
        try await db.insertUnique("a client grant for client \(grant.client_id) and audience \(grant.audience)") { db in
            db.insert(into: "client_grants").columns("id", "client_id", "audience", "document", "created_at")
                .values(
                    SQLBind(grant.id), SQLBind(grant.client_id), SQLBind(grant.audience), SQLBind(document),
                    SQLBind(Timestamp.nowMillis()))
        }
        try await db.bumpConfigurationVersion()
    }

    func update(_ grant: ClientGrantRecord) async throws {
        try await db.update("client_grants").set("document", to: try DocumentCoding.encode(grant))
            .where("id", .equal, grant.id).run()
        try await db.bumpConfigurationVersion()
    }

    func delete(_ id: String) async throws -> Bool {
        guard try await get(id) != nil else { return false }
        try await db.delete(from: "client_grants").where("id", .equal, id).run()
        try await db.bumpConfigurationVersion()
        return true
    }
}
