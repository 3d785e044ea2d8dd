import Foundation
import GatehouseCore
import GatehouseIdentity
import GatehouseStorage
import Hummingbird

/// `/api/v2/roles` and `/api/v2/roles/{id}/permissions` (RBAC).
struct RoleEndpoints {
    let services: IdentityServices

    struct RoleBody: Codable {
        var name: String?
        var description: String?
    }

    struct PermissionList: Codable {
        var permissions: [PermissionRecord]
    }

    static let notFound = ManagementAPIError.notFound("The role does not exist.", errorCode: "inexistent_role")
    static let schema = JSONSchema.of(RoleRecord.self)

    static let permissionsExample = JSONValue.sample(
        PermissionList(permissions: [
            PermissionRecord(resource_server_identifier: "https://api.example/", permission_name: "read:things")
        ]))

    var endpoints: [ManagementEndpoint] {
        let storage = services.storage
        return [
            ManagementEndpoint(
                .get, "/roles", scope: "read:roles", tag: "roles", summary: "List roles", response: .list(key: "roles", item: Self.schema),
                query: [.init("name_filter", .string(), "Only roles whose name contains this text.")]
            ) { request, _ in
                let query = try ListQuery(request)
                let page = try await storage.read { try await $0.roles.list(query.page, nameFilter: query.values["name_filter"]) }
                return try query.response(page, key: "roles")
            },
            ManagementEndpoint(
                .post, "/roles", scope: "create:roles", tag: "roles", summary: "Create a role", success: .ok,
                request: .body(RoleBody.self, required: ["name"], example: .sample(RoleBody(name: "admin", description: "Administrators"))),
                response: .value(Self.schema)
            ) { request, context in
                let body = try await context.body(RoleBody.self, from: request)
                guard let name = body.name, !name.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw ManagementAPIError.badRequest("Payload validation error: 'Missing required property: name'.")
                }
                let role = RoleRecord(id: RandomIdentifier.prefixed("rol"), name: name, description: body.description)
                do {
                    try await storage.read { try await $0.roles.insert(role) }
                } catch StorageError.conflict {
                    throw ManagementAPIError.conflict("Role name already exists", errorCode: "role_conflict")
                }
                return try JSONResponse.make(role)
            },
            ManagementEndpoint(.get, "/roles/{id}", scope: "read:roles", tag: "roles", summary: "Get a role", response: .value(Self.schema))
            {
                _, context in
                let id = try context.parameter("id")
                guard let role = try await storage.read({ try await $0.roles.get(id) }) else { throw Self.notFound }
                return try JSONResponse.make(role)
            },
            ManagementEndpoint(
                .patch, "/roles/{id}", scope: "update:roles", tag: "roles", summary: "Update a role",
                request: .body(RoleBody.self, example: .sample(RoleBody(description: "Renamed"))), response: .value(Self.schema)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(RoleBody.self, from: request)
                guard var role = try await storage.read({ try await $0.roles.get(id) }) else { throw Self.notFound }
                if let name = body.name { role.name = name }
                if let description = body.description { role.description = description }
                let updated = role
                do {
                    try await storage.read { try await $0.roles.update(updated) }
                } catch StorageError.conflict {
                    throw ManagementAPIError.conflict("Role name already exists", errorCode: "role_conflict")
                }
                return try JSONResponse.make(updated)
            },
            ManagementEndpoint(.delete, "/roles/{id}", scope: "delete:roles", tag: "roles", summary: "Delete a role", success: .noContent) {
                _, context in
                let id = try context.parameter("id")
                guard try await storage.transaction({ try await $0.roles.delete(id) }) else { throw Self.notFound }
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/roles/{id}/permissions", scope: "read:roles", tag: "roles", summary: "List a role's permissions",
                response: .list(key: "permissions", item: .of(PermissionRecord.self), perPageDefault: ListQuery.maximumPerPage)
            ) { request, context in
                let id = try context.parameter("id")
                let query = try ListQuery(request, perPageDefault: ListQuery.maximumPerPage)
                let permissions = try await storage.read { repositories -> [PermissionRecord] in
                    guard try await repositories.roles.get(id) != nil else { throw Self.notFound }
                    return try await repositories.roles.permissions(roleIDs: [id])
                }
                return try query.response(Page(items: query.slice(permissions), total: permissions.count), key: "permissions")
            },
            ManagementEndpoint(
                .post, "/roles/{id}/permissions", scope: "update:roles", tag: "roles", summary: "Add permissions to a role",
                success: .created,
                request: .body(PermissionList.self, example: Self.permissionsExample)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(PermissionList.self, from: request)
                try await storage.transaction { repositories in
                    guard try await repositories.roles.get(id) != nil else { throw Self.notFound }
                    for permission in body.permissions {
                        guard let api = try await repositories.resourceServers.get(idOrIdentifier: permission.resource_server_identifier),
                            api.scopes.contains(where: { $0.value == permission.permission_name })
                        else {
                            throw ManagementAPIError.badRequest(
                                "Permission \(permission.permission_name) is not defined by \(permission.resource_server_identifier).",
                                errorCode: "invalid_permission")
                        }
                    }
                    try await repositories.roles.addPermissions(body.permissions, roleID: id)
                }
                return JSONResponse.empty(.created)
            },
            ManagementEndpoint(
                .delete, "/roles/{id}/permissions", scope: "update:roles", tag: "roles", summary: "Remove permissions from a role",
                success: .noContent,
                request: .body(PermissionList.self, example: Self.permissionsExample)
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(PermissionList.self, from: request)
                try await storage.transaction { repositories in
                    guard try await repositories.roles.get(id) != nil else { throw Self.notFound }
                    try await repositories.roles.removePermissions(body.permissions, roleID: id)
                }
                return JSONResponse.empty()
            },
        ]
    }
}
