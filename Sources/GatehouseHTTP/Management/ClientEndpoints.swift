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
        var client_metadata: [String: String]?
        var jwt_configuration: JWTConfigurationBody?
        var refresh_token: ClientRecord.RefreshTokenPolicy?
        var client_secret: String?

        struct JWTConfigurationBody: Codable {
            var lifetime_in_seconds: Int?
            var alg: String?
        }
    }

    static let appTypes: Set<String> = ["native", "spa", "regular_web", "non_interactive"]
    static let authMethods: Set<String> = ["none", "client_secret_post", "client_secret_basic"]
    static let grantTypes: Set<String> = [
        "authorization_code", "implicit", "refresh_token", "client_credentials", "password",
        "http://auth0.com/oauth/grant-type/password-realm",
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
        if let name = body.name, name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ManagementAPIError.badRequest("Payload validation error: 'String is too short (0 chars), minimum 1' on property name.")
        }
        if let appType = body.app_type, !Self.appTypes.contains(appType) {
            throw ManagementAPIError.badRequest("Payload validation error: 'No enum match for: \"\(appType)\"' on property app_type.")
        }
        if let method = body.token_endpoint_auth_method, !Self.authMethods.contains(method) {
            throw ManagementAPIError.badRequest(
                "Payload validation error: 'No enum match for: \"\(method)\"' on property token_endpoint_auth_method.")
        }
        for grant in body.grant_types ?? [] where !Self.grantTypes.contains(grant) {
            throw ManagementAPIError.badRequest("Payload validation error: 'No enum match for: \"\(grant)\"' on property grant_types.")
        }
        if let lifetime = body.jwt_configuration?.lifetime_in_seconds, !(1...2_592_000).contains(lifetime) {
            throw ManagementAPIError.badRequest("Payload validation error: jwt_configuration.lifetime_in_seconds must be 1 to 2592000.")
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
        if let value = body.client_metadata { client.client_metadata = value }
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

    static let example = JSONValue.sample(
        ClientRecord(client_id: "AaiyAPdpYdesoKnqjj8HJqRn4T5titww", client_secret: "secret", name: "My App", app_type: "regular_web"))

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .get, "/clients", scope: "read:clients", tag: "clients", summary: "List clients", response: .array([Self.example])
            ) {
                request, context in
                let query = try ListQuery(request)
                let page = try await storage.read { try await $0.clients.list(query.page) }
                return try query.response(Page(items: page.items.map { Self.view($0, context) }, total: page.total), key: "clients")
            },
            ManagementEndpoint(
                .post, "/clients", scope: "create:clients", tag: "clients", summary: "Create a client", success: .created,
                request: .sample(ClientBody(name: "My App", app_type: "regular_web", callbacks: ["https://app.example/callback"])),
                response: Self.example
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
                .get, "/clients/{id}", scope: "read:clients", tag: "clients", summary: "Get a client", response: Self.example
            ) {
                _, context in
                let id = try context.parameter("id")
                guard let client = try await storage.read({ try await $0.clients.get(id) }) else { throw Self.notFound }
                return try JSONResponse.make(Self.view(client, context))
            },
            ManagementEndpoint(
                .patch, "/clients/{id}", scope: "update:clients", tag: "clients", summary: "Update a client",
                request: .sample(ClientBody(name: "Renamed")), response: Self.example
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
                response: Self.example
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
