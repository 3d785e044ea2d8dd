import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `/api/v2/connections`: database connections (`strategy: auth0`).
struct ConnectionEndpoints {
    let services: IdentityServices

    struct ConnectionBody: Codable {
        var name: String?
        var display_name: String?
        var strategy: String?
        var enabled_clients: [String]?
        var options: OptionsBody?
        var metadata: [String: String]?

        struct OptionsBody: Codable {
            var requires_username: Bool?
            var disable_signup: Bool?
            var brute_force_protection: Bool?
            var password_complexity_options: Complexity?
            var passwordPolicy: String?
            var password_history: ConnectionRecord.Options.PasswordHistory?
            var password_no_personal_info: ConnectionRecord.Options.Toggle?
            var password_dictionary: ConnectionRecord.Options.PasswordDictionary?

            struct Complexity: Codable {
                var min_length: Int?
            }
        }
    }

    static let notFound = ManagementAPIError.notFound("The connection does not exist", errorCode: "inexistent_connection")
    static let schema = JSONSchema.of(ConnectionRecord.self)

    func apply(_ body: ConnectionBody, to connection: inout ConnectionRecord) throws {
        if let value = body.display_name { connection.display_name = value }
        if let value = body.enabled_clients { connection.enabled_clients = value }
        if let value = body.metadata { connection.metadata = value }
        if let options = body.options {
            if let value = options.requires_username { connection.options.requires_username = value }
            if let value = options.disable_signup { connection.options.disable_signup = value }
            if let value = options.brute_force_protection { connection.options.brute_force_protection = value }
            if let value = options.password_complexity_options?.min_length {
                guard (1...128).contains(value) else {
                    throw ManagementAPIError.badRequest(
                        "Payload validation error: password_complexity_options.min_length must be 1 to 128.")
                }
                connection.options.password_min_length = value
            }
            if let value = options.passwordPolicy {
                guard PasswordPolicy.Level(rawValue: value) != nil else {
                    throw ManagementAPIError.badRequest(
                        "Payload validation error: passwordPolicy must be one of none, low, fair, good, excellent.")
                }
                connection.options.passwordPolicy = value
            }
            if let value = options.password_history {
                guard (1...24).contains(value.size ?? 5) else {
                    throw ManagementAPIError.badRequest("Payload validation error: password_history.size must be 1 to 24.")
                }
                connection.options.password_history = value
            }
            if let value = options.password_no_personal_info { connection.options.password_no_personal_info = value }
            if let value = options.password_dictionary {
                let words = value.dictionary ?? []
                guard words.count <= 2000, words.allSatisfy({ !$0.isEmpty && $0.count <= 50 }) else {
                    throw ManagementAPIError.badRequest(
                        "Payload validation error: password_dictionary.dictionary holds at most 2000 words of 1 to 50 characters.")
                }
                connection.options.password_dictionary = value
            }
        }
    }

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .get, "/connections", scope: "read:connections", tag: "connections", summary: "List connections",
                response: .list(key: "connections", item: Self.schema),
                query: [
                    .init("strategy", .string(), "Only connections of this strategy."),
                    .init("name", .string(), "Only the connection of this name."),
                ]
            ) { request, _ in
                let query = try ListQuery(request)
                var page = try await storage.read { try await $0.connections.list(query.page) }
                if let strategy = query.values["strategy"] { page.items = page.items.filter { $0.strategy == strategy } }
                if let name = query.values["name"] { page.items = page.items.filter { $0.name == name } }
                return try query.response(page, key: "connections")
            },
            ManagementEndpoint(
                .post, "/connections", scope: "create:connections", tag: "connections", summary: "Create a database connection",
                success: .created,
                request: .body(
                    ConnectionBody.self, required: ["name", "strategy"],
                    example: .sample(ConnectionBody(name: "customers", strategy: "auth0"))),
                response: .value(Self.schema)
            ) { request, context in
                let body = try await context.body(ConnectionBody.self, from: request)
                guard let name = body.name, !name.isEmpty, name.count <= 128,
                    name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
                else {
                    throw ManagementAPIError.badRequest(
                        "Payload validation error: 'name' is required and may contain only letters, digits and '-' (at most 128).")
                }
                guard body.strategy == "auth0" else {
                    throw ManagementAPIError.badRequest(
                        "Payload validation error: only the database strategy 'auth0' is supported.", errorCode: "operation_not_supported")
                }
                var connection = ConnectionRecord(id: RandomIdentifier.prefixed("con"), name: name)
                try apply(body, to: &connection)
                let created = connection
                do {
                    try await storage.read { try await $0.connections.insert(created) }
                } catch StorageError.conflict {
                    throw ManagementAPIError.conflict("A connection with the same name already exists", errorCode: "connection_conflict")
                }
                return try JSONResponse.make(created, status: .created)
            },
            ManagementEndpoint(
                .get, "/connections/{id}", scope: "read:connections", tag: "connections", summary: "Get a connection",
                response: .value(Self.schema)
            ) { _, context in
                let id = try context.parameter("id")
                guard let connection = try await storage.read({ try await $0.connections.get(id: id) }) else { throw Self.notFound }
                return try JSONResponse.make(connection)
            },
            ManagementEndpoint(
                .patch, "/connections/{id}", scope: "update:connections", tag: "connections", summary: "Update a connection",
                request: .body(
                    ConnectionBody.self, example: .sample(ConnectionBody(enabled_clients: ["AaiyAPdpYdesoKnqjj8HJqRn4T5titww"]))),
                response: .value(Self.schema)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(ConnectionBody.self, from: request)
                if body.name != nil || body.strategy != nil {
                    throw ManagementAPIError.badRequest("Payload validation error: name and strategy of a connection cannot change.")
                }
                guard var connection = try await storage.read({ try await $0.connections.get(id: id) }) else { throw Self.notFound }
                try apply(body, to: &connection)
                let updated = connection
                try await storage.read { try await $0.connections.update(updated) }
                return try JSONResponse.make(updated)
            },
            ManagementEndpoint(
                .delete, "/connections/{id}", scope: "delete:connections", tag: "connections",
                summary: "Delete a connection and its users", success: .noContent
            ) { _, context in
                let id = try context.parameter("id")
                guard try await storage.transaction({ try await $0.connections.delete(id: id) }) else { throw Self.notFound }
                return JSONResponse.empty()
            },
        ]
    }
}

extension ConnectionEndpoints.ConnectionBody: SchemaRefined {
    static func refine(_ schema: JSONSchema) -> JSONSchema {
        schema.setting("strategy", .string(["auth0"]))
            .setting("name", .string(minLength: 1, maxLength: 128))
            .setting("options.password_complexity_options.min_length", .integer(1...128))
    }
}
