import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `/api/v2/users`, `/api/v2/users-by-email` and `/api/v2/users/{id}/roles`.
struct UserEndpoints {
    let services: IdentityServices

    /// Auth0's UserCreate / UserUpdate fields.
    struct UserBody: Codable, Equatable {
        var connection: String?
        var email: String?
        var username: String?
        var password: String?
        var email_verified: Bool?
        var phone_number: String?
        var phone_verified: Bool?
        var name: String?
        var nickname: String?
        var given_name: String?
        var family_name: String?
        var picture: String?
        var blocked: Bool?
        var app_metadata: [String: JSONValue]?
        var user_metadata: [String: JSONValue]?
        /// `POST /users`: send the verification e-mail (Auth0's default: when the address is
        /// not marked verified).
        var verify_email: Bool?

        /// Whether the body touches anything an end user's `update:current_user_metadata` may not.
        var changesMoreThanUserMetadata: Bool {
            var onlyMetadata = UserBody()
            onlyMetadata.user_metadata = user_metadata
            return self != onlyMetadata
        }
    }

    struct RoleList: Codable {
        var roles: [String]
    }

    static let notFound = ManagementAPIError.notFound("The user does not exist.", errorCode: "inexistent_user")

    /// The user in Auth0's response shape: the record plus `identities`.
    static func view(_ user: UserRecord) -> JSONValue {
        var object = JSONValue.sample(user).objectValue ?? [:]
        object["identities"] = .array([
            .object([
                "connection": .string(user.connection), "provider": "auth0", "user_id": .string(user.localID),
                "isSocial": false,
            ])
        ])
        return .object(object)
    }

    /// A user as `view` answers it.
    static let schema = JSONSchema.of(UserRecord.self).adding(
        "identities",
        .array(
            .object(
                ["connection": .string(), "provider": .string(), "user_id": .string(), "isSocial": .boolean],
                required: ["connection", "provider", "user_id", "isSocial"])), required: true)

    /// Applies a `PATCH /users/{id}`. A new `password` is hashed before the transaction; the
    /// transaction that writes the hash also enqueues `post-change-password` (when an action is
    /// bound), delivered after the commit.
    func update(_ id: String, with body: UserBody, request eventRequest: ActionEventRequest) async throws -> UserRecord {
        var hash: String?
        var announce = false
        if let password = body.password {
            guard let user = try await services.storage.read({ try await $0.users.get(id) }) else { throw Self.notFound }
            do {
                hash = try await services.users.hashForNewPassword(password, of: user)
            } catch let error as UserDirectory.PasswordChangeError {
                switch error {
                case .userNotFound: throw Self.notFound
                case .tooLong(let message): throw ManagementAPIError.badRequest(message)
                case .policy(let policy): throw ManagementAPIError.badRequest("\(policy.name): \(policy.message)")
                }
            }
            announce = try await services.asyncTriggers.isBound(PostChangePassword.trigger)
        }
        if let email = body.email, !EmailAddress.isPlausible(email) {
            throw ManagementAPIError.badRequest(
                "Payload validation error: 'Object didn't pass validation for format email: \(email)' on property email.")
        }
        let hashToStore = hash
        let tenantName = services.asyncTriggers.tenantName
        let announceChange = announce
        let updated = try await services.storage.transaction { repositories -> UserRecord in
            guard var user = try await repositories.users.get(id) else { throw Self.notFound }
            if let value = body.email { user.email = value.lowercased() }
            if let value = body.username { user.username = value }
            if let value = body.email_verified { user.email_verified = value }
            if let value = body.phone_number { user.phone_number = value }
            if let value = body.phone_verified { user.phone_verified = value }
            if let value = body.name { user.name = value }
            if let value = body.nickname { user.nickname = value }
            if let value = body.given_name { user.given_name = value }
            if let value = body.family_name { user.family_name = value }
            if let value = body.picture { user.picture = value }
            if let value = body.blocked { user.blocked = value }
            if let patch = body.app_metadata { user.app_metadata = user.app_metadata.mergingMetadata(patch) }
            if let patch = body.user_metadata { user.user_metadata = user.user_metadata.mergingMetadata(patch) }
            user.updated_at = Timestamp.iso8601(Timestamp.nowMillis())
            if let hash = hashToStore { try await UserDirectory.storeNewPassword(hash, for: &user, in: repositories) }
            do {
                try await repositories.users.update(user)
            } catch StorageError.conflict {
                throw ManagementAPIError.conflict("The specified new email or username already exists", errorCode: "user_exists")
            }
            if hashToStore != nil && announceChange {
                try await PostChangePassword.enqueue(user: user, request: eventRequest, tenantName: tenantName, in: repositories)
            }
            return user
        }
        if announceChange { services.asyncTriggers.committed() }
        return updated
    }

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .get, "/users", scope: "read:users", tag: "users", summary: "List or search users (q, Lucene syntax)",
                response: .list(key: "users", item: Self.schema), query: ManagementSearch.parameters
            ) { request, _ in
                let query = try ListQuery(request)
                let search = try ManagementSearch.query(query.values, fields: .users)
                let page = try await storage.read { repositories in
                    guard let search else { return try await repositories.users.list(query.page) }
                    return try await repositories.users.search(query.page) { search.matches($0, fields: .users) }
                }
                return try query.response(Page(items: page.items.map(Self.view), total: page.total), key: "users")
            },
            ManagementEndpoint(
                .post, "/users", scope: "create:users", tag: "users", summary: "Create a user", success: .created,
                request: .body(
                    UserBody.self, required: ["connection", "password"],
                    example: .sample(
                        UserBody(
                            connection: "Username-Password-Authentication", email: "jane@example.com", password: "correct horse battery"))),
                response: .value(Self.schema)
            ) { request, context in
                let body = try await context.body(UserBody.self, from: request)
                guard let connection = body.connection else {
                    throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: connection'.")
                }
                guard let password = body.password else {
                    throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: password'.")
                }
                var profile = UserProfileFields()
                profile.name = body.name
                profile.nickname = body.nickname
                profile.given_name = body.given_name
                profile.family_name = body.family_name
                profile.picture = body.picture
                profile.phone_number = body.phone_number
                profile.email_verified = body.email_verified
                profile.blocked = body.blocked
                profile.app_metadata = body.app_metadata?.filter { $0.value != .null }
                profile.user_metadata = body.user_metadata?.filter { $0.value != .null }
                do {
                    // Auth0 runs pre-user-registration here too, without a client or a transaction.
                    let origin = RegistrationOrigin(
                        client: nil,
                        request: ActionEventRequest(
                            ip: context.remoteIP, method: "POST", hostname: request.head.authority,
                            userAgent: request.headers[.userAgent], language: nil),
                        configurationVersion: try await services.configurationCache.snapshot().version)
                    let user = try await services.users.register(
                        connectionName: connection, email: body.email, username: body.username, password: password,
                        profile: profile, viaSignup: false, origin: origin,
                        writes: services.accountMail.newUserWrites(
                            client: nil, request: origin.request, verify: body.verify_email, welcome: false))
                    return try JSONResponse.make(Self.view(user), status: .created)
                } catch let error as UserDirectory.RegistrationError {
                    switch error.kind {
                    case .exists: throw ManagementAPIError.conflict(error.message, errorCode: "auth0_idp_error")
                    case .connectionNotFound:
                        throw ManagementAPIError.badRequest("The connection does not exist.", errorCode: "inexistent_connection")
                    case .invalid, .signupDisabled, .passwordTooLong, .tooManySignups: throw ManagementAPIError.badRequest(error.message)
                    case .deniedByAction:
                        throw ManagementAPIError.badRequest(error.message, errorCode: error.code ?? "extensibility_error")
                    case .unavailable: throw ManagementAPIError(status: .serviceUnavailable, message: error.message)
                    case .weakPassword:
                        // Auth0's text, e.g. "PasswordStrengthError: Password is too weak".
                        throw ManagementAPIError.badRequest(
                            error.passwordPolicy.map { "\($0.name): \($0.message)" } ?? error.message)
                    }
                }
            },
            ManagementEndpoint(
                .get, "/users/{id}", scope: "read:users", currentUserScope: "read:current_user", tag: "users", summary: "Get a user",
                response: .value(Self.schema)
            ) {
                _, context in
                let id = try context.parameter("id")
                guard let user = try await storage.read({ try await $0.users.get(id) }) else { throw Self.notFound }
                return try JSONResponse.make(Self.view(user))
            },
            ManagementEndpoint(
                .patch, "/users/{id}", scope: "update:users", currentUserScope: "update:current_user_metadata", tag: "users",
                summary: "Update a user (app_metadata and user_metadata are merged at the top level; null removes a key)",
                request: .body(UserBody.self, example: .sample(UserBody(app_metadata: ["plan": "pro"]))), response: .value(Self.schema)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(UserBody.self, from: request)
                if !context.caller.scopes.contains("update:users") && body.changesMoreThanUserMetadata {
                    throw ManagementAPIError(
                        status: .forbidden,
                        message:
                            "Insufficient scope: update:current_user_metadata changes user_metadata only, expected any of: update:users",
                        errorCode: "insufficient_scope")
                }
                if body.app_metadata != nil && !context.caller.scopes.contains("update:users_app_metadata")
                    && !context.caller.scopes.contains("update:users")
                {
                    throw ManagementAPIError(
                        status: .forbidden, message: "Insufficient scope, expected any of: update:users_app_metadata",
                        errorCode: "insufficient_scope")
                }
                return try JSONResponse.make(
                    Self.view(try await update(id, with: body, request: ActionEventRequest(request, context: context))))
            },
            ManagementEndpoint(.delete, "/users/{id}", scope: "delete:users", tag: "users", summary: "Delete a user", success: .noContent) {
                _, context in
                let id = try context.parameter("id")
                let deleted = try await storage.transaction { repositories in
                    guard try await repositories.users.delete(id) else { return false }
                    try await repositories.loginAttempts.clear(userIDs: [id], identifiers: [])
                    try await MultifactorService.userWasDeleted(id, in: repositories)
                    return true
                }
                guard deleted else { throw Self.notFound }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/users-by-email", scope: "read:users", tag: "users", summary: "Find users by email (case-insensitive)",
                response: .value(.array(Self.schema)), query: [.init("email", .string(minLength: 1), "The e-mail address.", required: true)]
            ) { request, _ in
                guard let email = RequestParameters.query(request)["email"], !email.isEmpty else {
                    throw ManagementAPIError.badRequest(
                        "Query validation error: 'Missing required property: email'.", errorCode: "invalid_query_string")
                }
                return try JSONResponse.make(try await storage.read { try await $0.users.find(email: email) }.map(Self.view))
            },
            ManagementEndpoint(
                .get, "/users/{id}/roles", scope: "read:roles", tag: "users", summary: "List a user's roles",
                response: .list(key: "roles", item: RoleEndpoints.schema)
            ) { request, context in
                let id = try context.parameter("id")
                let query = try ListQuery(request)
                let roles = try await storage.read { repositories -> [RoleRecord] in
                    guard try await repositories.users.get(id) != nil else { throw Self.notFound }
                    return try await repositories.roles.roles(ofUser: id)
                }
                return try query.response(Page(items: query.slice(roles), total: roles.count), key: "roles")
            },
            ManagementEndpoint(
                .post, "/users/{id}/roles", scope: "update:users", tag: "users", summary: "Assign roles to a user",
                success: .noContent, request: .body(RoleList.self, example: .sample(RoleList(roles: ["rol_0000000000000001"])))
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(RoleList.self, from: request)
                try await storage.transaction { repositories in
                    guard try await repositories.users.get(id) != nil else { throw Self.notFound }
                    for roleID in body.roles where try await repositories.roles.get(roleID) == nil {
                        throw ManagementAPIError.notFound("Role \(roleID) does not exist", errorCode: "inexistent_role")
                    }
                    try await repositories.roles.assign(roleIDs: body.roles, toUser: id)
                }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .delete, "/users/{id}/roles", scope: "update:users", tag: "users", summary: "Remove roles from a user",
                success: .noContent, request: .body(RoleList.self, example: .sample(RoleList(roles: ["rol_0000000000000001"])))
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(RoleList.self, from: request)
                try await storage.transaction { repositories in
                    guard try await repositories.users.get(id) != nil else { throw Self.notFound }
                    try await repositories.roles.unassign(roleIDs: body.roles, fromUser: id)
                }
                return JSONResponse.empty()
            },
        ]
    }
}

extension UserEndpoints.UserBody: SchemaRefined {
    static func refine(_ schema: JSONSchema) -> JSONSchema {
        schema.setting("email", .string(format: "email")).setting("connection", .string(minLength: 1))
    }
}
