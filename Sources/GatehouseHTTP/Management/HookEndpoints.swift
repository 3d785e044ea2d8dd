import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v2/hooks` and `/api/v2/hooks/{id}/secrets`: legacy Auth0 Hooks (Auth0's Management API
/// v2 "Hooks"; `auth0-actions.md` §4.1, §6.4). `HooksService` decides; this file parses and
/// renders.
struct HookEndpoints {
    let hooks: HooksService

    /// A hook as answered: every field is optional, because `fields` may leave any out.
    static let schema = JSONSchema.object(
        [
            "id": .string(), "name": .string(), "script": .string(), "triggerId": .string(HookRecord.triggerIDs),
            "enabled": .boolean, "dependencies": .map(.string()),
        ], required: [])
    static let example = JSONValue.object([
        "name": "add-claims", "triggerId": "credentials-exchange",
        "script": "module.exports = function (client, scope, audience, context, cb) {\n  cb(null, { scope });\n};",
    ])
    static let secretsBody = ManagementEndpoint.RequestBody(
        schema: .map(.string()), example: .object(["API_KEY": "a-secret"]), optional: false)

    /// Auth0's shape: `id`, `triggerId`, `name`, `enabled`, `script`, `dependencies` (the
    /// installed bundle stays inside), with only (or without) the `fields` asked for.
    static func view(_ hook: HookRecord, fields: Set<String>?, include: Bool) -> JSONValue {
        let full: [String: JSONValue] = [
            "id": .string(hook.id), "triggerId": .string(hook.triggerId), "name": .string(hook.name), "enabled": .bool(hook.enabled),
            "script": .string(hook.script), "dependencies": .object(hook.dependencies.mapValues(JSONValue.string)),
        ]
        guard let fields else { return .object(full) }
        return .object(full.filter { fields.contains($0.key) == include })
    }

    var endpoints: [ManagementEndpoint] {
        [
            ManagementEndpoint(
                .get, "/hooks", scope: "read:hooks", tag: "hooks", summary: "List hooks, oldest first",
                response: .list(key: "hooks", item: Self.schema),
                query: [
                    .init("enabled", .boolean, "Only enabled (true) or disabled (false) hooks."),
                    .init("triggerId", .string(HookRecord.triggerIDs), "Only the hooks of this extensibility point."),
                ] + RuleEndpoints.fieldParameters
            ) { request, _ in
                let query = try ListQuery(request)
                let enabled = query.values["enabled"].map { $0 == "true" }
                let trigger = query.values["triggerId"]
                let page = try await hooks.storage.read { try await $0.hooks.list(query.page, enabled: enabled, triggerID: trigger) }
                let (fields, include) = RuleEndpoints.fieldSelection(query)
                let views = page.items.map { Self.view($0, fields: fields, include: include) }
                return try query.response(Page(items: views, total: page.total), key: "hooks")
            },
            ManagementEndpoint(
                .post, "/hooks", scope: "create:hooks", tag: "hooks", summary: "Create a hook", success: .created,
                request: .body(HookDraft.self, required: ["name", "script", "triggerId"], example: Self.example),
                response: .value(Self.schema)
            ) { request, context in
                let draft = try await context.body(HookDraft.self, from: request)
                let hook = try await hooks.create(draft)
                return try JSONResponse.make(Self.view(hook, fields: nil, include: true), status: .created)
            },
            ManagementEndpoint(
                .get, "/hooks/{id}", scope: "read:hooks", tag: "hooks", summary: "Get a hook", response: .value(Self.schema),
                query: RuleEndpoints.fieldParameters
            ) { request, context in
                let hook = try await hooks.get(try context.parameter("id"))
                let (fields, include) = RuleEndpoints.fieldSelection(try ListQuery(request))
                return try JSONResponse.make(Self.view(hook, fields: fields, include: include))
            },
            ManagementEndpoint(
                .patch, "/hooks/{id}", scope: "update:hooks", tag: "hooks", summary: "Update a hook",
                request: .body(HookDraft.self, example: .object(["enabled": false])), response: .value(Self.schema)
            ) { request, context in
                let draft = try await context.body(HookDraft.self, from: request)
                let hook = try await hooks.update(try context.parameter("id"), with: draft)
                return try JSONResponse.make(Self.view(hook, fields: nil, include: true))
            },
            ManagementEndpoint(.delete, "/hooks/{id}", scope: "delete:hooks", tag: "hooks", summary: "Delete a hook", success: .noContent) {
                _, context in
                try await hooks.delete(try context.parameter("id"))
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/hooks/{id}/secrets", scope: "read:hooks", tag: "hooks",
                summary: "List a hook's secrets (values are write-only: each shows as _VALUE_NOT_SHOWN_)",
                response: .value(.map(.string()))
            ) { _, context in
                let names = try await hooks.secretNames(try context.parameter("id"))
                return try JSONResponse.make(
                    JSONValue.object(Dictionary(uniqueKeysWithValues: names.map { ($0, .string(HookLimits.hiddenSecretValue)) })))
            },
            ManagementEndpoint(
                .post, "/hooks/{id}/secrets", scope: "create:hooks", tag: "hooks", summary: "Add secrets to a hook",
                success: .created, request: Self.secretsBody
            ) { request, context in
                let secrets = try await context.body([String: String].self, from: request)
                try await hooks.addSecrets(try context.parameter("id"), secrets)
                return JSONResponse.empty(.created)
            },
            ManagementEndpoint(
                .patch, "/hooks/{id}/secrets", scope: "update:hooks", tag: "hooks", summary: "Update a hook's existing secrets",
                request: Self.secretsBody
            ) { request, context in
                let secrets = try await context.body([String: String].self, from: request)
                try await hooks.updateSecrets(try context.parameter("id"), secrets)
                return JSONResponse.empty(.ok)
            },
            ManagementEndpoint(
                .delete, "/hooks/{id}/secrets", scope: "delete:hooks", tag: "hooks", summary: "Delete a hook's secrets by name",
                success: .noContent,
                request: ManagementEndpoint.RequestBody(schema: .array(.string()), example: .array(["API_KEY"]), optional: false)
            ) { request, context in
                let names = try await context.stringList(from: request)
                try await hooks.deleteSecrets(try context.parameter("id"), names: names)
                return JSONResponse.empty()
            },
        ]
    }
}
