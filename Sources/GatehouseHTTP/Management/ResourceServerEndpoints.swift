import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `/api/v2/resource-servers` (APIs) and `/api/v2/client-grants`.
struct ResourceServerEndpoints {
    let services: IdentityServices

    struct ResourceServerBody: Codable {
        var identifier: String?
        var name: String?
        var scopes: [ResourceServerRecord.Scope]?
        var signing_alg: String?
        var token_lifetime: Int?
        var token_lifetime_for_web: Int?
        var enforce_policies: Bool?
        var token_dialect: String?
        var allow_offline_access: Bool?
        var skip_consent_for_verifiable_first_party_clients: Bool?
    }

    struct ClientGrantBody: Codable {
        var client_id: String?
        var audience: String?
        var scope: [String]?
    }

    static let serverNotFound = ManagementAPIError.notFound("The resource server does not exist", errorCode: "inexistent_resource_server")
    static let grantNotFound = ManagementAPIError.notFound("The client grant does not exist", errorCode: "inexistent_client_grant")

    func validate(_ body: ResourceServerBody) throws {
        if let lifetime = body.token_lifetime, !(1...2_592_000).contains(lifetime) {
            throw ManagementAPIError.badRequest("Payload validation error: token_lifetime must be 1 to 2592000 seconds.")
        }
        if let lifetime = body.token_lifetime_for_web, !(1...2_592_000).contains(lifetime) {
            throw ManagementAPIError.badRequest("Payload validation error: token_lifetime_for_web must be 1 to 2592000 seconds.")
        }
        if let dialect = body.token_dialect, !["access_token", "access_token_authz"].contains(dialect) {
            throw ManagementAPIError.badRequest("Payload validation error: 'No enum match for: \"\(dialect)\"' on property token_dialect.")
        }
        if let alg = body.signing_alg, alg != "RS256" {
            throw ManagementAPIError.badRequest(
                "Payload validation error: signing_alg must be RS256 (the only algorithm this server signs with).")
        }
    }

    func apply(_ body: ResourceServerBody, to server: inout ResourceServerRecord) {
        if let value = body.name { server.name = value }
        if let value = body.scopes { server.scopes = value }
        if let value = body.token_lifetime { server.token_lifetime = value }
        if let value = body.token_lifetime_for_web { server.token_lifetime_for_web = value }
        if let value = body.enforce_policies { server.enforce_policies = value }
        if let value = body.token_dialect { server.token_dialect = value }
        if let value = body.allow_offline_access { server.allow_offline_access = value }
        if let value = body.skip_consent_for_verifiable_first_party_clients {
            server.skip_consent_for_verifiable_first_party_clients = value
        }
    }

    static let serverSchema = JSONSchema.of(ResourceServerRecord.self)
    static let grantSchema = JSONSchema.of(ClientGrantRecord.self)

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .get, "/resource-servers", scope: "read:resource_servers", tag: "resource-servers", summary: "List APIs",
                response: .list(key: "resource_servers", item: Self.serverSchema)
            ) { request, _ in
                let query = try ListQuery(request)
                return try query.response(try await storage.read { try await $0.resourceServers.list(query.page) }, key: "resource_servers")
            },
            ManagementEndpoint(
                .post, "/resource-servers", scope: "create:resource_servers", tag: "resource-servers", summary: "Create an API",
                success: .created,
                request: .body(
                    ResourceServerBody.self, required: ["identifier"],
                    example: .sample(ResourceServerBody(identifier: "https://api.example/", name: "Example API"))),
                response: .value(Self.serverSchema)
            ) { request, context in
                let body = try await context.body(ResourceServerBody.self, from: request)
                guard let identifier = body.identifier, !identifier.isEmpty else {
                    throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: identifier'.")
                }
                try validate(body)
                var server = ResourceServerRecord(id: RandomIdentifier.hex(byteCount: 12), identifier: identifier, name: identifier)
                apply(body, to: &server)
                let created = server
                do {
                    try await storage.read { try await $0.resourceServers.insert(created) }
                } catch StorageError.conflict {
                    throw ManagementAPIError.conflict(
                        "A resource server with the same identifier already exists", errorCode: "resource_server_conflict")
                }
                return try JSONResponse.make(created, status: .created)
            },
            ManagementEndpoint(
                .get, "/resource-servers/{id}", scope: "read:resource_servers", tag: "resource-servers", summary: "Get an API",
                response: .value(Self.serverSchema)
            ) { _, context in
                let id = try context.parameter("id")
                guard let server = try await storage.read({ try await $0.resourceServers.get(idOrIdentifier: id) }) else {
                    throw Self.serverNotFound
                }
                return try JSONResponse.make(server)
            },
            ManagementEndpoint(
                .patch, "/resource-servers/{id}", scope: "update:resource_servers", tag: "resource-servers", summary: "Update an API",
                request: .body(ResourceServerBody.self, example: .sample(ResourceServerBody(name: "Renamed", enforce_policies: true))),
                response: .value(Self.serverSchema)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(ResourceServerBody.self, from: request)
                try validate(body)
                guard var server = try await storage.read({ try await $0.resourceServers.get(idOrIdentifier: id) }) else {
                    throw Self.serverNotFound
                }
                if let identifier = body.identifier, identifier != server.identifier {
                    throw ManagementAPIError.badRequest("Payload validation error: the identifier of an API cannot change.")
                }
                guard !server.is_system else {
                    throw ManagementAPIError(
                        status: .forbidden, message: "The Management API cannot be changed.", errorCode: "operation_not_supported")
                }
                apply(body, to: &server)
                let updated = server
                try await storage.read { try await $0.resourceServers.update(updated) }
                return try JSONResponse.make(updated)
            },
            ManagementEndpoint(
                .delete, "/resource-servers/{id}", scope: "delete:resource_servers", tag: "resource-servers", summary: "Delete an API",
                success: .noContent
            ) { _, context in
                let id = try context.parameter("id")
                guard let server = try await storage.read({ try await $0.resourceServers.get(idOrIdentifier: id) }) else {
                    throw Self.serverNotFound
                }
                guard !server.is_system else {
                    throw ManagementAPIError(
                        status: .forbidden, message: "The Management API cannot be deleted.", errorCode: "operation_not_supported")
                }
                _ = try await storage.transaction { try await $0.resourceServers.delete(server.id) }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/client-grants", scope: "read:client_grants", tag: "client-grants", summary: "List client grants",
                response: .list(key: "client_grants", item: Self.grantSchema),
                query: [
                    .init("client_id", .string(), "Only the grants of this client."),
                    .init("audience", .string(), "Only the grants for this API."),
                ]
            ) { request, _ in
                let query = try ListQuery(request)
                let page = try await storage.read {
                    try await $0.clientGrants.list(clientID: query.values["client_id"], audience: query.values["audience"], query.page)
                }
                return try query.response(page, key: "client_grants")
            },
            ManagementEndpoint(
                .post, "/client-grants", scope: "create:client_grants", tag: "client-grants", summary: "Create a client grant",
                success: .created,
                request: .body(
                    ClientGrantBody.self, required: ["client_id", "audience", "scope"],
                    example: .sample(
                        ClientGrantBody(
                            client_id: "AaiyAPdpYdesoKnqjj8HJqRn4T5titww", audience: "https://api.example/", scope: ["read:things"]))
                ),
                response: .value(Self.grantSchema)
            ) { request, context in
                let body = try await context.body(ClientGrantBody.self, from: request)
                guard let clientID = body.client_id, let audience = body.audience, let scope = body.scope else {
                    throw ManagementAPIError.badRequest(
                        "Payload validation error: 'Missing required property: client_id, audience and scope are required'.")
                }
                let grant = ClientGrantRecord(id: RandomIdentifier.prefixed("cgr"), client_id: clientID, audience: audience, scope: scope)
                try await storage.transaction { repositories in
                    guard try await repositories.clients.get(clientID) != nil else {
                        throw ManagementAPIError.notFound("Client \(clientID) does not exist", errorCode: "inexistent_client")
                    }
                    guard let api = try await repositories.resourceServers.get(idOrIdentifier: audience), api.identifier == audience else {
                        throw ManagementAPIError.notFound(
                            "No resource server found by identifier \(audience)", errorCode: "inexistent_resource_server")
                    }
                    let known = Set(api.scopes.map(\.value))
                    if let unknown = scope.first(where: { !known.contains($0) }) {
                        throw ManagementAPIError.badRequest("Scope \(unknown) is not defined by \(audience).", errorCode: "invalid_scope")
                    }
                    do {
                        try await repositories.clientGrants.insert(grant)
                    } catch StorageError.conflict {
                        throw ManagementAPIError.conflict(
                            "A client grant for this client and audience already exists", errorCode: "client_grant_conflict")
                    }
                }
                return try JSONResponse.make(grant, status: .created)
            },
            ManagementEndpoint(
                .patch, "/client-grants/{id}", scope: "update:client_grants", tag: "client-grants", summary: "Update a client grant",
                request: .body(ClientGrantBody.self, example: .sample(ClientGrantBody(scope: ["read:things"]))),
                response: .value(Self.grantSchema)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(ClientGrantBody.self, from: request)
                guard var grant = try await storage.read({ try await $0.clientGrants.get(id) }) else { throw Self.grantNotFound }
                if let scope = body.scope { grant.scope = scope }
                let updated = grant
                try await storage.read { try await $0.clientGrants.update(updated) }
                return try JSONResponse.make(updated)
            },
            ManagementEndpoint(
                .delete, "/client-grants/{id}", scope: "delete:client_grants", tag: "client-grants", summary: "Delete a client grant",
                success: .noContent
            ) { _, context in
                let id = try context.parameter("id")
                guard try await storage.read({ try await $0.clientGrants.delete(id) }) else { throw Self.grantNotFound }
                return JSONResponse.empty()
            },
        ]
    }
}

extension ResourceServerEndpoints.ResourceServerBody: SchemaRefined {
    static func refine(_ schema: JSONSchema) -> JSONSchema {
        schema.setting("identifier", .string(minLength: 1))
            .setting("token_lifetime", .integer(1...2_592_000))
            .setting("token_lifetime_for_web", .integer(1...2_592_000))
            .setting("token_dialect", .string(["access_token", "access_token_authz"]))
            .setting("signing_alg", .string(["RS256"]))
    }
}
