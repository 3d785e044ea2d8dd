import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// A user's SSO sessions and refresh tokens, as Auth0's Management API lists and revokes them:
/// `/users/{id}/sessions`, `/sessions/{id}`, `/users/{id}/refresh-tokens`, `/refresh-tokens/{id}`
/// ("Manage User Sessions" and "Manage Refresh Tokens with the Management API"). Ending a session
/// also revokes the refresh tokens issued in it; revoking a refresh token revokes its rotation
/// family.
struct SessionEndpoints {
    let services: IdentityServices

    static let sessionNotFound = ManagementAPIError.notFound("The session does not exist.", errorCode: "session_not_found")
    static let tokenNotFound = ManagementAPIError.notFound("The refresh token does not exist.", errorCode: "refresh_token_not_found")

    static func iso(_ millis: EpochMillis?) -> JSONValue { millis.map { .string(Timestamp.iso8601($0)) } ?? .null }

    /// Metadata as Auth0 shows it (`session_metadata`, `refresh_token_metadata`): `{}` when none.
    static func metadata(_ values: [String: String]?) -> JSONValue { .object((values ?? [:]).mapValues(JSONValue.string)) }

    /// Auth0's session shape (the fields Gatehouse keeps), with `session_metadata`.
    static func view(_ session: SessionRecord) -> JSONValue {
        .object([
            "id": .string(session.id), "user_id": .string(session.user_id), "created_at": iso(session.created_at),
            "updated_at": iso(session.created_at), "authenticated_at": iso(session.authenticated_at),
            "expires_at": iso(session.expires_at), "idle_expires_at": iso(session.endsAt),
            "session_metadata": metadata(session.session_metadata),
            "last_interacted_at": iso(session.created_at),
            "clients": .array(session.clients.map { .object(["client_id": .string($0)]) }),
            "authentication": .object([
                "methods": .array(
                    (session.authentication_methods ?? [AuthenticationMethodRecord(name: "pwd", timestamp: session.authenticated_at)])
                        .map { .object(["name": .string($0.name), "timestamp": iso($0.timestamp)]) })
            ]),
        ])
    }

    /// Auth0's refresh-token shape, with `refresh_token_metadata`.
    static func view(_ token: RefreshTokenRecord, rotating: Bool) -> JSONValue {
        var audiences: [JSONValue] = []
        if let audience = token.audience {
            audiences.append(
                .object(["audience": .string(audience), "scopes": .string(token.scope)]))
        }
        return .object([
            "id": .string(token.id), "user_id": .string(token.user_id), "client_id": .string(token.client_id),
            "session_id": token.session_id.map(JSONValue.string) ?? .null, "created_at": iso(token.created_at),
            "expires_at": iso(token.expires_at), "idle_expires_at": iso(token.endsAt), "rotating": .bool(rotating),
            "resource_servers": .array(audiences), "last_exchanged_at": iso(token.created_at),
            "refresh_token_metadata": metadata(token.refresh_token_metadata),
        ])
    }

    static let date = JSONSchema.string(format: "date-time")
    static let sessionSchema = JSONSchema.object(
        [
            "id": .string(), "user_id": .string(), "created_at": date, "updated_at": date, "authenticated_at": date,
            "expires_at": date, "idle_expires_at": date, "last_interacted_at": date,
            "session_metadata": .map(.string()),
            "clients": .array(.object(["client_id": .string()], required: ["client_id"])),
            "authentication": .object(["methods": .array(.object(["name": .string(), "timestamp": date], required: ["name"]))]),
        ], required: ["id", "user_id", "created_at", "authenticated_at", "expires_at", "clients"])
    static let tokenSchema = JSONSchema.object(
        [
            "id": .string(), "user_id": .string(), "client_id": .string(), "session_id": .nullable(.string()), "created_at": date,
            "expires_at": .nullable(date), "idle_expires_at": .nullable(date), "rotating": .boolean,
            "resource_servers": .array(.object(["audience": .string(), "scopes": .string()], required: ["audience"])),
            "last_exchanged_at": date, "refresh_token_metadata": .map(.string()),
        ], required: ["id", "user_id", "client_id", "created_at", "rotating", "resource_servers"])

    /// Whether `clientID`'s refresh tokens rotate (Auth0 shows it per token).
    func rotates(_ clientID: String, in configuration: ConfigurationCache.Snapshot) async throws -> Bool {
        try await configuration.client(clientID)?.refresh_token.rotation_type == "rotating"
    }

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .get, "/users/{id}/sessions", scope: "read:sessions", tag: "sessions", summary: "List a user's active sessions",
                response: .value(.object(["sessions": .array(Self.sessionSchema)], required: ["sessions"]))
            ) { _, context in
                let id = try context.parameter("id")
                let sessions = try await storage.read { repositories in
                    guard try await repositories.users.get(id) != nil else { throw UserEndpoints.notFound }
                    return try await repositories.sessions.active(userID: id, now: Timestamp.nowMillis())
                }
                return try JSONResponse.make(JSONValue.object(["sessions": .array(sessions.map(Self.view))]))
            },
            ManagementEndpoint(
                .delete, "/users/{id}/sessions", scope: "delete:sessions", tag: "sessions",
                summary: "End every session of a user, and revoke the refresh tokens issued in them", success: .accepted
            ) { _, context in
                let id = try context.parameter("id")
                let now = Timestamp.nowMillis()
                try await storage.transaction { repositories in
                    guard try await repositories.users.get(id) != nil else { throw UserEndpoints.notFound }
                    for session in try await repositories.sessions.active(userID: id, now: now) {
                        try await repositories.sessions.revoke(session.id, at: now)
                        try await repositories.refreshTokens.revokeAll(userID: id, sessionID: session.id, at: now)
                    }
                }
                return Response(status: .accepted)
            },
            ManagementEndpoint(
                .get, "/sessions/{id}", scope: "read:sessions", tag: "sessions", summary: "Get an active session",
                response: .value(Self.sessionSchema)
            ) { _, context in
                let id = try context.parameter("id")
                guard let session = try await storage.read({ try await $0.sessions.active(id: id, now: Timestamp.nowMillis()) }) else {
                    throw Self.sessionNotFound
                }
                return try JSONResponse.make(Self.view(session))
            },
            ManagementEndpoint(
                .delete, "/sessions/{id}", scope: "delete:sessions", tag: "sessions",
                summary: "End a session, and revoke the refresh tokens issued in it", success: .accepted
            ) { _, context in
                let id = try context.parameter("id")
                let now = Timestamp.nowMillis()
                try await storage.transaction { repositories in
                    guard let session = try await repositories.sessions.active(id: id, now: now) else { throw Self.sessionNotFound }
                    try await repositories.sessions.revoke(session.id, at: now)
                    try await repositories.refreshTokens.revokeAll(userID: session.user_id, sessionID: session.id, at: now)
                }
                return Response(status: .accepted)
            },
            ManagementEndpoint(
                .get, "/users/{id}/refresh-tokens", scope: "read:refresh_tokens", tag: "refresh-tokens",
                summary: "List a user's refresh tokens that can still be exchanged",
                response: .value(.object(["tokens": .array(Self.tokenSchema)], required: ["tokens"]))
            ) { _, context in
                let id = try context.parameter("id")
                let tokens = try await storage.read { repositories in
                    guard try await repositories.users.get(id) != nil else { throw UserEndpoints.notFound }
                    return try await repositories.refreshTokens.active(userID: id, now: Timestamp.nowMillis())
                }
                let configuration = try await services.configurationCache.snapshot()
                var views: [JSONValue] = []
                for token in tokens { views.append(Self.view(token, rotating: try await rotates(token.client_id, in: configuration))) }
                return try JSONResponse.make(JSONValue.object(["tokens": .array(views)]))
            },
            ManagementEndpoint(
                .delete, "/users/{id}/refresh-tokens", scope: "delete:refresh_tokens", tag: "refresh-tokens",
                summary: "Revoke every refresh token of a user", success: .accepted
            ) { _, context in
                let id = try context.parameter("id")
                let now = Timestamp.nowMillis()
                try await storage.transaction { repositories in
                    guard try await repositories.users.get(id) != nil else { throw UserEndpoints.notFound }
                    try await repositories.refreshTokens.revokeAll(userID: id, sessionID: nil, at: now)
                }
                return Response(status: .accepted)
            },
            ManagementEndpoint(
                .get, "/refresh-tokens/{id}", scope: "read:refresh_tokens", tag: "refresh-tokens",
                summary: "Get a refresh token that can still be exchanged", response: .value(Self.tokenSchema)
            ) { _, context in
                let id = try context.parameter("id")
                guard let token = try await storage.read({ try await $0.refreshTokens.get(id: id) }), Self.isUsable(token) else {
                    throw Self.tokenNotFound
                }
                let rotating = try await rotates(token.client_id, in: try await services.configurationCache.snapshot())
                return try JSONResponse.make(Self.view(token, rotating: rotating))
            },
            ManagementEndpoint(
                .delete, "/refresh-tokens/{id}", scope: "delete:refresh_tokens", tag: "refresh-tokens",
                summary: "Revoke a refresh token and its rotation family", success: .accepted
            ) { _, context in
                let id = try context.parameter("id")
                let now = Timestamp.nowMillis()
                try await storage.transaction { repositories in
                    guard let token = try await repositories.refreshTokens.get(id: id), Self.isUsable(token) else {
                        throw Self.tokenNotFound
                    }
                    try await repositories.refreshTokens.revokeFamily(token.family_id, at: now)
                }
                return Response(status: .accepted)
            },
        ]
    }

    static func isUsable(_ token: RefreshTokenRecord, now: EpochMillis = Timestamp.nowMillis()) -> Bool {
        token.rotated_at == nil && token.revoked_at == nil && (token.endsAt.map { $0 > now } ?? true)
    }
}
