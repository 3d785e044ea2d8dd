import GatehouseCore
import SQLKit

public protocol ClientRepository: Sendable {
    func get(_ clientID: String) async throws -> ClientRecord?
    func list(_ page: PageRequest) async throws -> Page<ClientRecord>
    func insert(_ client: ClientRecord) async throws
    func update(_ client: ClientRecord) async throws
    /// `true` when a client was deleted.
    func delete(_ clientID: String) async throws -> Bool
}

struct SQLClientRepository: ClientRepository {
    let db: any SQLDatabase
    let masterKey: MasterKey

    private func decode(_ row: any SQLRow) throws -> ClientRecord {
        let id = try row.decode(column: "client_id", as: String.self)
        var client = try DocumentCoding.decode(ClientRecord.self, from: row, table: "clients", id: id)
        client.client_secret = try row.decode(column: "sealed_secret", as: String?.self).map(masterKey.open)
        return client
    }

    private func document(_ client: ClientRecord) throws -> (document: String, sealed: String?) {
        var stripped = client
        stripped.client_secret = nil
        return (try DocumentCoding.encode(stripped), try client.client_secret.map(masterKey.seal))
    }

    func get(_ clientID: String) async throws -> ClientRecord? {
        try await db.select().columns("client_id", "sealed_secret", "document").from("clients")
            .where("client_id", .equal, clientID).first().map(decode)
    }

    func list(_ page: PageRequest) async throws -> Page<ClientRecord> {
        try await db.page(
            of: "clients", columns: ["client_id", "sealed_secret", "document"], order: ["created_at", "client_id"], page,
            decode: decode)
    }

    func insert(_ client: ClientRecord) async throws {
        let (document, sealed) = try document(client)
        try await db.insertUnique("client \(client.client_id)") { db in
            db.insert(into: "clients").columns("client_id", "sealed_secret", "document", "created_at")
                .values(SQLBind(client.client_id), SQLBind(sealed), SQLBind(document), SQLBind(Timestamp.nowMillis()))
        }
        try await db.bumpConfigurationVersion()
    }

    func update(_ client: ClientRecord) async throws {
        let (document, sealed) = try document(client)
        try await db.update("clients").set("document", to: document).set("sealed_secret", to: sealed)
            .where("client_id", .equal, client.client_id).run()
        try await db.bumpConfigurationVersion()
    }

    func delete(_ clientID: String) async throws -> Bool {
        guard try await get(clientID) != nil else { return false }
        try await db.delete(from: "client_grants").where("client_id", .equal, clientID).run()
        try await db.delete(from: "clients").where("client_id", .equal, clientID).run()
        try await db.bumpConfigurationVersion()
        return true
    }
}
