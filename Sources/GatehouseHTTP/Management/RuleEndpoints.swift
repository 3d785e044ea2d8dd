import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseStorage
import Hummingbird

/// `/api/v2/rules` and `/api/v2/rules-configs`: legacy Auth0 Rules and their shared
/// `configuration` (Auth0's Management API v2 "Rules" and "Rules Configs"; `auth0-actions.md`
/// §6). `RulesService` decides; this file parses and renders.
struct RuleEndpoints {
    let rules: RulesService

    /// A rule as answered: every field is optional, because `fields` may leave any out.
    static let schema = JSONSchema.object(
        [
            "id": .string(), "name": .string(), "script": .string(), "order": .integer(), "enabled": .boolean,
            "stage": .string(),
        ], required: [])
    static let example = JSONValue.sample(
        RuleDraft(name: "add-roles", script: "function (user, context, callback) {\n  callback(null, user, context);\n}"))

    /// Auth0's `fields` / `include_fields`: the rule with only (or without) the named fields.
    static func view(_ rule: RuleRecord, fields: Set<String>?, include: Bool) -> JSONValue {
        let full = JSONValue.sample(rule)
        guard let fields, case .object(let object) = full else { return full }
        return .object(object.filter { fields.contains($0.key) == include })
    }

    static func fieldSelection(_ query: ListQuery) -> (Set<String>?, Bool) {
        let fields = query.values["fields"].map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        return (fields.flatMap { $0.isEmpty ? nil : $0 }, query.values["include_fields"] != "false")
    }

    static let fieldParameters: [ManagementEndpoint.QueryParameter] = [
        .init("fields", .string(), "Comma-separated fields to include (or exclude, with include_fields=false)."),
        .init("include_fields", .boolean, "Whether `fields` are included (true, the default) or excluded."),
    ]

    var endpoints: [ManagementEndpoint] {
        [
            ManagementEndpoint(
                .get, "/rules", scope: "read:rules", tag: "rules", summary: "List rules, by order",
                response: .list(key: "rules", item: Self.schema),
                query: [.init("enabled", .boolean, "Only enabled (true) or disabled (false) rules.")] + Self.fieldParameters
            ) { request, _ in
                let query = try ListQuery(request)
                let enabled = query.values["enabled"].map { $0 == "true" }
                let page = try await rules.storage.read { try await $0.rules.list(query.page, enabled: enabled) }
                let (fields, include) = Self.fieldSelection(query)
                let views = page.items.map { Self.view($0, fields: fields, include: include) }
                return try query.response(Page(items: views, total: page.total), key: "rules")
            },
            ManagementEndpoint(
                .post, "/rules", scope: "create:rules", tag: "rules", summary: "Create a rule", success: .created,
                request: .body(RuleDraft.self, required: ["name", "script"], example: Self.example), response: .value(Self.schema)
            ) { request, context in
                let draft = try await context.body(RuleDraft.self, from: request)
                return try JSONResponse.make(try await rules.create(draft), status: .created)
            },
            ManagementEndpoint(
                .get, "/rules/{id}", scope: "read:rules", tag: "rules", summary: "Get a rule", response: .value(Self.schema),
                query: Self.fieldParameters
            ) { request, context in
                let rule = try await rules.get(try context.parameter("id"))
                let (fields, include) = Self.fieldSelection(try ListQuery(request))
                return try JSONResponse.make(Self.view(rule, fields: fields, include: include))
            },
            ManagementEndpoint(
                .patch, "/rules/{id}", scope: "update:rules", tag: "rules", summary: "Update a rule",
                request: .body(RuleDraft.self, example: .sample(RuleDraft(enabled: false))), response: .value(Self.schema)
            ) { request, context in
                let draft = try await context.body(RuleDraft.self, from: request)
                return try JSONResponse.make(try await rules.update(try context.parameter("id"), with: draft))
            },
            ManagementEndpoint(.delete, "/rules/{id}", scope: "delete:rules", tag: "rules", summary: "Delete a rule", success: .noContent) {
                _, context in
                try await rules.delete(try context.parameter("id"))
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .get, "/rules-configs", scope: "read:rules_configs", tag: "rules-configs",
                summary: "List the keys of the rules' configuration (values are write-only)",
                response: .value(.array(.object(["key": .string()], required: ["key"])))
            ) { _, _ in
                let keys = try await rules.storage.read { try await $0.rules.configurationKeys() }
                return try JSONResponse.make(JSONValue.array(keys.map { .object(["key": .string($0)]) }))
            },
            ManagementEndpoint(
                .put, "/rules-configs/{key}", scope: "update:rules_configs", tag: "rules-configs",
                summary: "Set a value rules read as configuration.KEY",
                request: .body(RulesConfigValue.self, required: ["value"], example: .object(["value": "a-secret"])),
                response: .value(.object(["key": .string(), "value": .string()], required: ["key", "value"]))
            ) { request, context in
                let key = try context.parameter("key")
                let body = try await context.body(RulesConfigValue.self, from: request)
                try await rules.setConfiguration(key: key, value: body.value)
                // Auth0 answers with the key and the value just set (the caller sent it).
                return try JSONResponse.make(JSONValue.object(["key": .string(key), "value": .string(body.value)]))
            },
            ManagementEndpoint(
                .delete, "/rules-configs/{key}", scope: "delete:rules_configs", tag: "rules-configs",
                summary: "Delete a rules configuration value", success: .noContent
            ) { _, context in
                try await rules.deleteConfiguration(key: try context.parameter("key"))
                return JSONResponse.empty()
            },
        ]
    }
}
