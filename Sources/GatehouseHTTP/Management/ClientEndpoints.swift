import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `/api/v2/clients`: applications.
struct ClientEndpoints {
    let services: IdentityServices

    /// Fields accepted by `POST` and `PATCH` (Auth0's ClientCreate / ClientUpdate).
    struct ClientBody: Codable {
        var name: String?
        var description: String?
        var app_type: String?
        var token_endpoint_auth_method: String?
        var is_first_party: Bool?
        var oidc_conformant: Bool?
        var callbacks: [String]?
        var allowed_logout_urls: [String]?
        var web_origins: [String]?
        var allowed_origins: [String]?
        var grant_types: [String]?
        /// Merged into the client's metadata; a `null` value removes that key.
        var client_metadata: [String: String?]?
        var jwt_configuration: JWTConfigurationBody?
        var refresh_token: ClientRecord.RefreshTokenPolicy?
        var client_secret: String?

        struct JWTConfigurationBody: Codable {
            var lifetime_in_seconds: Int?
            var alg: String?
        }
    }

    static let appTypes: [String] = ["native", "spa", "regular_web", "non_interactive"]
    static let authMethods: [String] = ["none", "client_secret_post", "client_secret_basic"]
    static let grantTypes: [String] = [
        "authorization_code", "implicit", "refresh_token", "client_credentials", "password",
        "http://auth0.com/oauth/grant-type/password-realm", MultifactorAPI.otpGrantType, MultifactorAPI.oobGrantType,
        MultifactorAPI.recoveryCodeGrantType,
    ]

    /// Auth0's defaults per application type.
    static func defaultGrantTypes(_ appType: String?) -> [String] {
        switch appType {
        case "non_interactive": ["client_credentials"]
        case "spa", "native": ["authorization_code", "implicit", "refresh_token"]
        default: ["authorization_code", "implicit", "refresh_token", "client_credentials"]
        }
    }

    func validate(_ body: ClientBody) throws {
        // Types, enumerations and bounds are checked against `ClientBody`'s schema before this.
        if let name = body.name, name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ManagementAPIError.badRequest("Payload validation error: 'String is too short (0 chars), minimum 1' on property name.")
        }
        if let policy = body.refresh_token { try Self.validate(policy) }
        for url in (body.callbacks ?? []) + (body.allowed_logout_urls ?? []) where URLCheck.absolute(url) == false {
            throw ManagementAPIError.badRequest("Payload validation error: '\(url)' is not an absolute URL.")
        }
    }

    /// Auth0's refresh-token policy bounds (lifetimes up to a year, leeway up to a minute): each
    /// lifetime becomes an expiry, computed in milliseconds, which must never overflow.
    static func validate(_ policy: ClientRecord.RefreshTokenPolicy) throws {
        if !["rotating", "non-rotating"].contains(policy.rotation_type) {
            throw ManagementAPIError.badRequest(
                "Payload validation error: 'No enum match for: \"\(policy.rotation_type)\"' on property refresh_token.rotation_type.")
        }
        if !["expiring", "non-expiring"].contains(policy.expiration_type) {
            throw ManagementAPIError.badRequest(
                "Payload validation error: 'No enum match for: \"\(policy.expiration_type)\"' on property refresh_token.expiration_type.")
        }
        for (name, value) in [("token_lifetime", policy.token_lifetime), ("idle_token_lifetime", policy.idle_token_lifetime)]
        where !(1...31_557_600).contains(value) {
            throw ManagementAPIError.badRequest("Payload validation error: refresh_token.\(name) must be 1 to 31557600 seconds.")
        }
        if !(0...60).contains(policy.leeway) {
            throw ManagementAPIError.badRequest("Payload validation error: refresh_token.leeway must be 0 to 60 seconds.")
        }
    }

    func apply(_ body: ClientBody, to client: inout ClientRecord) {
        if let value = body.name { client.name = value }
        if let value = body.description { client.description = value }
        if let value = body.app_type { client.app_type = value }
        if let value = body.token_endpoint_auth_method { client.token_endpoint_auth_method = value }
        if let value = body.is_first_party { client.is_first_party = value }
        if let value = body.oidc_conformant { client.oidc_conformant = value }
        if let value = body.callbacks { client.callbacks = value }
        if let value = body.allowed_logout_urls { client.allowed_logout_urls = value }
        if let value = body.web_origins { client.web_origins = value }
        if let value = body.allowed_origins { client.allowed_origins = value }
        if let value = body.grant_types { client.grant_types = value }
        if let patch = body.client_metadata {
            for (key, value) in patch { client.client_metadata[key] = value }
        }
        if let value = body.jwt_configuration?.lifetime_in_seconds { client.jwt_configuration.lifetime_in_seconds = value }
        if let value = body.refresh_token { client.refresh_token = value }
        if let value = body.client_secret { client.client_secret = value }
        if client.isPublic {
            client.client_secret = nil
        } else if client.client_secret == nil {
            client.client_secret = RandomIdentifier.token(byteCount: 48)
        }
        client.updated_at = Timestamp.iso8601(Timestamp.nowMillis())
    }

    /// The client as the caller may see it: the secret only with `read:client_keys`.
    static func view(_ client: ClientRecord, _ context: ManagementRequestContext) -> ClientRecord {
        var view = client
        if !context.caller.scopes.contains("read:client_keys") { view.client_secret = nil }
        return view
    }

    /// A client as the API answers it (`client_secret` only with `read:client_keys`).
    static let schema = JSONSchema.of(ClientRecord.self)

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .get, "/clients", scope: "read:clients", tag: "clients", summary: "List clients",
                response: .list(key: "clients", item: Self.schema)
            ) {
                request, context in
                let query = try ListQuery(request)
                let page = try await storage.read { try await $0.clients.list(query.page) }
                return try query.response(Page(items: page.items.map { Self.view($0, context) }, total: page.total), key: "clients")
            },
            ManagementEndpoint(
                .post, "/clients", scope: "create:clients", tag: "clients", summary: "Create a client", success: .created,
                request: .body(
                    ClientBody.self, required: ["name"],
                    example: .sample(ClientBody(name: "My App", app_type: "regular_web", callbacks: ["https://app.example/callback"]))),
                response: .value(Self.schema)
            ) { request, context in
                let body = try await context.body(ClientBody.self, from: request)
                guard body.name != nil else {
                    throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: name'.")
                }
                try validate(body)
                let now = Timestamp.iso8601(Timestamp.nowMillis())
                var client = ClientRecord(
                    client_id: RandomIdentifier.alphanumeric(length: 32), client_secret: nil, name: "",
                    token_endpoint_auth_method: ["spa", "native"].contains(body.app_type ?? "") ? "none" : "client_secret_post",
                    grant_types: Self.defaultGrantTypes(body.app_type), created_at: now)
                apply(body, to: &client)
                let created = client
                try await storage.transaction { repositories in
                    try await repositories.clients.insert(created)
                    // As in Auth0's dashboard, a new application may use every database connection.
                    for var connection in try await repositories.connections.list(PageRequest(page: 0, perPage: 100)).items
                    where connection.strategy == "auth0" {
                        connection.enabled_clients.append(created.client_id)
                        try await repositories.connections.update(connection)
                    }
                }
                return try JSONResponse.make(created, status: .created)
            },
            ManagementEndpoint(
                .get, "/clients/{id}", scope: "read:clients", tag: "clients", summary: "Get a client", response: .value(Self.schema)
            ) {
                _, context in
                let id = try context.parameter("id")
                guard let client = try await storage.read({ try await $0.clients.get(id) }) else { throw Self.notFound }
                return try JSONResponse.make(Self.view(client, context))
            },
            ManagementEndpoint(
                .patch, "/clients/{id}", scope: "update:clients", tag: "clients", summary: "Update a client",
                request: .body(ClientBody.self, example: .sample(ClientBody(name: "Renamed"))), response: .value(Self.schema)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(ClientBody.self, from: request)
                try validate(body)
                guard var client = try await storage.read({ try await $0.clients.get(id) }) else { throw Self.notFound }
                apply(body, to: &client)
                let updated = client
                try await storage.read { try await $0.clients.update(updated) }
                return try JSONResponse.make(Self.view(updated, context))
            },
            ManagementEndpoint(
                .delete, "/clients/{id}", scope: "delete:clients", tag: "clients", summary: "Delete a client", success: .noContent
            ) {
                _, context in
                let id = try context.parameter("id")
                guard try await storage.transaction({ try await $0.clients.delete(id) }) else { throw Self.notFound }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .post, "/clients/{id}/rotate-secret", scope: "update:client_keys", tag: "clients", summary: "Rotate a client secret",
                response: .value(Self.schema)
            ) { _, context in
                let id = try context.parameter("id")
                guard var client = try await storage.read({ try await $0.clients.get(id) }) else { throw Self.notFound }
                guard !client.isPublic else {
                    throw ManagementAPIError.badRequest("Public clients have no secret to rotate.", errorCode: "operation_not_supported")
                }
                client.client_secret = RandomIdentifier.token(byteCount: 48)
                client.updated_at = Timestamp.iso8601(Timestamp.nowMillis())
                let updated = client
                try await storage.read { try await $0.clients.update(updated) }
                return try JSONResponse.make(updated)
            },
        ]
    }

    static let notFound = ManagementAPIError.notFound("The client does not exist", errorCode: "inexistent_client")
}

enum URLCheck {
    /// Callback and logout URLs must be absolute (scheme and host), as Auth0 requires.
    static func absolute(_ text: String) -> Bool {
        guard let components = URLComponents(string: text), let scheme = components.scheme, !scheme.isEmpty else {
            return false
        }
        return components.host?.isEmpty == false || !["http", "https"].contains(scheme)
    }
}

extension ClientEndpoints.ClientBody: SchemaRefined {
    static func refine(_ schema: JSONSchema) -> JSONSchema {
        schema.setting("name", .string(minLength: 1))
            .setting("app_type", .string(ClientEndpoints.appTypes))
            .setting("token_endpoint_auth_method", .string(ClientEndpoints.authMethods))
            .setting("grant_types", .array(.string(ClientEndpoints.grantTypes)))
            .setting("jwt_configuration.lifetime_in_seconds", .integer(1...2_592_000))
    }
}

/// Auth0's refresh-token policy bounds (see `ClientEndpoints.validate(_:)`).
extension ClientRecord.RefreshTokenPolicy: SchemaRefined {
    static func refine(_ schema: JSONSchema) -> JSONSchema {
        schema.setting("rotation_type", .string(["rotating", "non-rotating"]))
            .setting("expiration_type", .string(["expiring", "non-expiring"]))
            .setting("token_lifetime", .integer(1...31_557_600))
            .setting("idle_token_lifetime", .integer(1...31_557_600))
            .setting("leeway", .integer(0...60))
    }
}
