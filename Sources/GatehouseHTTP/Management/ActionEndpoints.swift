import Foundation
import GatehouseActions
import GatehouseCore
import GatehouseSandbox
import GatehouseStorage
import Hummingbird

/// `/api/v2/actions/*`: actions, versions, triggers and bindings (`auth0-actions.md` §5.1).
struct ActionEndpoints {
    let actions: ActionsService
    /// Flushed before reads, so an instance always sees the executions it just recorded.
    let recorder: ExecutionRecorder?

    struct DeployVersionBody: Codable {
        var update_draft: Bool?
    }

    struct BindingsBody: Codable {
        var bindings: [ActionsService.BindingReference]
    }

    struct TestBody: Codable {
        var payload: JSONValue
    }

    // MARK: - Views (Auth0's Action, ActionVersion, ActionBinding, ActionTrigger shapes)

    func actionView(_ action: ActionRecord, deployed: ActionVersionRecord?, embedVersion: Bool = true) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(action.id), "name": .string(action.name),
            "supported_triggers": .sample(action.content.supported_triggers),
            "all_changes_deployed": .bool(actions.allChangesDeployed(action, deployed: deployed)),
            "created_at": .string(action.created_at), "updated_at": .string(action.updated_at),
            "code": .string(action.content.code), "dependencies": .sample(action.content.dependencies),
            "runtime": .string(action.content.runtime), "secrets": .sample(action.content.secrets), "status": .string(action.status),
        ]
        if let builtAt = action.built_at { object["built_at"] = .string(builtAt) }
        if !action.errors.isEmpty { object["errors"] = .sample(action.errors) }
        if embedVersion, let deployed { object["deployed_version"] = versionView(deployed, of: action, deployedNow: deployed) }
        return .object(object)
    }

    func versionView(_ version: ActionVersionRecord, of action: ActionRecord, deployedNow: ActionVersionRecord?) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(version.id), "action_id": .string(version.action_id), "number": .number(Double(version.number)),
            "code": .string(version.content.code), "dependencies": .sample(version.content.dependencies),
            "runtime": .string(version.content.runtime), "secrets": .sample(version.content.secrets),
            "supported_triggers": .sample(version.content.supported_triggers), "status": .string(version.status),
            "deployed": .bool(version.deployed), "created_at": .string(version.created_at), "updated_at": .string(version.updated_at),
            "action": .object([
                "id": .string(action.id), "name": .string(action.name), "supported_triggers": .sample(action.content.supported_triggers),
                "all_changes_deployed": .bool(actions.allChangesDeployed(action, deployed: deployedNow)),
                "created_at": .string(action.created_at), "updated_at": .string(action.updated_at),
            ]),
        ]
        if let builtAt = version.built_at { object["built_at"] = .string(builtAt) }
        if let deployer = version.deployed_by { object["deployed_by"] = .string(deployer) }
        return .object(object)
    }

    /// Who is deploying, for the version's `deployed_by`: an operator's e-mail (the dashboard),
    /// else the calling application's name, else the token's subject.
    func deployer(_ context: ManagementRequestContext) async throws -> String? {
        let caller = context.caller
        return try await actions.storage.read { repositories in
            if caller.isEndUser { return try await repositories.users.get(caller.subject)?.email ?? caller.subject }
            guard let clientID = caller.clientID else { return caller.subject }
            return try await repositories.clients.get(clientID)?.name ?? clientID
        }
    }

    func triggerView(_ trigger: TriggerCatalog.Trigger) -> JSONValue {
        .object([
            "id": .string(trigger.id), "version": .string(trigger.version), "status": .string(trigger.status),
            "runtimes": .array(trigger.runtimes.map(JSONValue.string)), "default_runtime": .string(trigger.defaultRuntime),
            "compatible_triggers": .array(trigger.compatibleTriggers), "binding_policy": .string(trigger.bindingPolicy),
        ])
    }

    /// The action and its deployed version, or Auth0's 404.
    func load(_ id: String) async throws -> (ActionRecord, ActionVersionRecord?) {
        try await actions.storage.read { repositories in
            guard let action = try await repositories.actions.get(id) else {
                throw ActionsError.notFound("The action does not exist.", code: "action_not_found")
            }
            guard let versionID = action.deployed_version_id else { return (action, nil) }
            return (action, try await repositories.actions.version(versionID))
        }
    }

    func bindingViews(_ bindings: [ActionBindingRecord]) async throws -> [JSONValue] {
        var views: [JSONValue] = []
        for binding in bindings {
            let (action, deployed) = try await load(binding.action_id)
            let created = Timestamp.iso8601(binding.created_at)
            views.append(
                .object([
                    "id": .string(binding.id), "trigger_id": .string(binding.trigger_id), "display_name": .string(binding.display_name),
                    "action": actionView(action, deployed: deployed), "created_at": .string(created), "updated_at": .string(created),
                    "fail_open": .bool(binding.fail_open),
                ]))
        }
        return views
    }

    /// Auth0's paged envelope for actions lists: `{total, page, per_page, <key>: [...]}`.
    static func envelope(_ items: [JSONValue], key: String, query: ListQuery) -> JSONValue {
        .object([
            "total": .number(Double(items.count)), "page": .number(Double(query.page.page)),
            "per_page": .number(Double(query.page.perPage)), key: .array(query.slice(items)),
        ])
    }

    /// What `actionView` and `versionView` answer, from the records they show.
    static let actionSummarySchema = JSONSchema.object(
        [
            "id": .string(), "name": .string(), "supported_triggers": .array(.of(TriggerReference.self)),
            "all_changes_deployed": .boolean, "created_at": .string(), "updated_at": .string(),
        ], required: ["id", "name", "supported_triggers", "all_changes_deployed", "created_at", "updated_at"])
    static let versionSchema = JSONSchema.object(
        [
            "id": .string(), "action_id": .string(), "number": .integer(), "code": .string(),
            "dependencies": .array(.of(DependencyRecord.self)), "runtime": .string(), "secrets": .array(.of(SecretRecord.self)),
            "supported_triggers": .array(.of(TriggerReference.self)), "status": .string(), "deployed": .boolean,
            "created_at": .string(), "updated_at": .string(), "built_at": .nullable(.string()), "action": actionSummarySchema,
            "deployed_by": .string(),
        ],
        required: [
            "id", "action_id", "number", "code", "dependencies", "runtime", "secrets", "supported_triggers", "status", "deployed",
            "created_at", "updated_at", "action",
        ])
    static let bindingSchema = JSONSchema.object(
        [
            "id": .string(), "trigger_id": .string(), "display_name": .string(), "action": actionSchema, "created_at": .string(),
            "updated_at": .string(), "fail_open": .boolean,
        ], required: ["id", "trigger_id", "display_name", "action", "created_at", "updated_at", "fail_open"])
    static let actionSchema = JSONSchema.object(
        [
            "id": .string(), "name": .string(), "supported_triggers": .array(.of(TriggerReference.self)),
            "all_changes_deployed": .boolean, "created_at": .string(), "updated_at": .string(), "code": .string(),
            "dependencies": .array(.of(DependencyRecord.self)), "runtime": .string(), "secrets": .array(.of(SecretRecord.self)),
            "status": .string(), "built_at": .nullable(.string()), "errors": .nullable(.array(.of(BuildErrorRecord.self))),
            "deployed_version": .nullable(versionSchema),
        ],
        required: [
            "id", "name", "supported_triggers", "all_changes_deployed", "created_at", "updated_at", "code", "dependencies", "runtime",
            "secrets", "status",
        ])
    static let draftExample: JSONValue = .object([
        "name": "add-roles", "supported_triggers": .array([.object(["id": "post-login", "version": "v3"])]),
        "code": "exports.onExecutePostLogin = async (event, api) => {};",
    ])

    var endpoints: [ManagementEndpoint] {
        [
            ManagementEndpoint(
                .get, "/actions/triggers", scope: "read:actions", tag: "actions", summary: "List the triggers actions can be bound to",
                response: .value(.inferred(from: .object(["triggers": .array([triggerView(actions.catalog.triggers["post-login"]!)])])))
            ) { _, _ in
                let triggers = actions.catalog.triggers.values.sorted { $0.id < $1.id }.map(triggerView)
                return try JSONResponse.make(JSONValue.object(["triggers": .array(triggers)]))
            },
            ManagementEndpoint(
                .get, "/actions/actions", scope: "read:actions", tag: "actions",
                summary: "List actions (filters triggerId, actionName, deployed)",
                response: .pagedEnvelope(key: "actions", item: Self.actionSchema, perPageDefault: 50),
                query: [
                    .init("triggerId", .string(), "Only actions for this trigger."),
                    .init("actionName", .string(), "Only the action of this name."),
                    .init("deployed", .boolean, "Only deployed (true) or undeployed (false) actions."),
                ]
            ) { request, _ in
                let query = try ListQuery(request)
                var views: [JSONValue] = []
                for action in try await actions.storage.read({ try await $0.actions.all() }) {
                    if let trigger = query.values["triggerId"], !action.content.supported_triggers.contains(where: { $0.id == trigger }) {
                        continue
                    }
                    if let name = query.values["actionName"], action.name != name { continue }
                    if let deployed = query.values["deployed"], (deployed == "true") != (action.deployed_version_id != nil) { continue }
                    let (_, version) = try await load(action.id)
                    views.append(actionView(action, deployed: version))
                }
                return try JSONResponse.make(Self.envelope(views, key: "actions", query: query))
            },
            ManagementEndpoint(
                .post, "/actions/actions", scope: "create:actions", tag: "actions",
                summary: "Create an action (its draft builds in the background)",
                success: .created, request: .body(ActionDraft.self, required: ["name", "supported_triggers"], example: Self.draftExample),
                response: .value(Self.actionSchema)
            ) { request, context in
                let draft = try await context.body(ActionDraft.self, from: request)
                let action = try await actions.create(draft)
                return try JSONResponse.make(actionView(action, deployed: nil), status: .created)
            },
            ManagementEndpoint(
                .get, "/actions/actions/{id}", scope: "read:actions", tag: "actions", summary: "Get an action",
                response: .value(Self.actionSchema)
            ) {
                _, context in
                let (action, deployed) = try await load(try context.parameter("id"))
                return try JSONResponse.make(actionView(action, deployed: deployed))
            },
            ManagementEndpoint(
                .patch, "/actions/actions/{id}", scope: "update:actions", tag: "actions", summary: "Update an action's draft",
                request: .body(ActionDraft.self, example: Self.draftExample), response: .value(Self.actionSchema)
            ) { request, context in
                let id = try context.parameter("id")
                let draft = try await context.body(ActionDraft.self, from: request)
                _ = try await actions.update(id, with: draft)
                let (action, deployed) = try await load(id)
                return try JSONResponse.make(actionView(action, deployed: deployed))
            },
            ManagementEndpoint(
                .delete, "/actions/actions/{id}", scope: "delete:actions", tag: "actions",
                summary: "Delete an action (a bound action needs force=true, which also removes its bindings)", success: .noContent,
                query: [.init("force", .boolean, "Also remove the action's bindings.")]
            ) { request, context in
                try await actions.delete(try context.parameter("id"), force: RequestParameters.query(request)["force"] == "true")
                return JSONResponse.empty()
            },
            ManagementEndpoint(
                .post, "/actions/actions/{id}/deploy", scope: "create:actions", tag: "actions",
                summary: "Deploy the built draft as the next version", response: .value(Self.versionSchema)
            ) { _, context in
                let id = try context.parameter("id")
                let version = try await actions.deploy(id, by: try await deployer(context))
                let (action, deployed) = try await load(id)
                return try JSONResponse.make(versionView(version, of: action, deployedNow: deployed))
            },
            ManagementEndpoint(
                .get, "/actions/actions/{id}/versions", scope: "read:actions", tag: "actions",
                summary: "List an action's versions, newest first",
                response: .pagedEnvelope(key: "versions", item: Self.versionSchema, perPageDefault: 20)
            ) { request, context in
                let (action, deployed) = try await load(try context.parameter("id"))
                let versions = try await actions.storage.read { try await $0.actions.versions(ofAction: action.id) }
                let views = versions.map { versionView($0, of: action, deployedNow: deployed) }
                return try JSONResponse.make(Self.envelope(views, key: "versions", query: try ListQuery(request, perPageDefault: 20)))
            },
            ManagementEndpoint(
                .get, "/actions/actions/{id}/versions/{versionId}", scope: "read:actions", tag: "actions", summary: "Get a version",
                response: .value(Self.versionSchema)
            ) { _, context in
                let (action, deployed) = try await load(try context.parameter("id"))
                guard let version = try await actions.storage.read({ try await $0.actions.version(try context.parameter("versionId")) }),
                    version.action_id == action.id
                else { throw ActionsError.notFound("The version does not exist.", code: "action_version_not_found") }
                return try JSONResponse.make(versionView(version, of: action, deployedNow: deployed))
            },
            ManagementEndpoint(
                .post, "/actions/actions/{id}/versions/{versionId}/deploy", scope: "create:actions", tag: "actions",
                summary: "Roll back: deploy a new version copied from this one (update_draft also resets the draft)",
                request: .body(DeployVersionBody.self, example: .sample(DeployVersionBody(update_draft: true)), optional: true),
                response: .value(Self.versionSchema)
            ) { request, context in
                let id = try context.parameter("id")
                let buffer = try await request.body.collect(upTo: context.maxUploadSize)
                let updateDraft = JSONValue(jsonData: buffer.readableBytesView)?["update_draft"] == .bool(true)
                let version = try await actions.deploy(
                    version: try context.parameter("versionId"), of: id, updateDraft: updateDraft, by: try await deployer(context))
                let (action, deployed) = try await load(id)
                return try JSONResponse.make(versionView(version, of: action, deployedNow: deployed))
            },
            ManagementEndpoint(
                .get, "/actions/triggers/{triggerId}/bindings", scope: "read:actions", tag: "actions",
                summary: "List a trigger's bindings in execution order",
                response: .pagedEnvelope(key: "bindings", item: Self.bindingSchema, perPageDefault: 20)
            ) { request, context in
                let trigger = try context.parameter("triggerId")
                guard actions.catalog.trigger(trigger) != nil else {
                    throw ActionsError.notFound("The trigger \(trigger) does not exist.", code: "trigger_not_found")
                }
                let bindings = try await actions.storage.read { try await $0.actions.bindings(trigger: trigger) }
                return try JSONResponse.make(
                    Self.envelope(try await bindingViews(bindings), key: "bindings", query: try ListQuery(request, perPageDefault: 20)))
            },
            ManagementEndpoint(
                .patch, "/actions/triggers/{triggerId}/bindings", scope: "update:actions", tag: "actions",
                summary: "Replace a trigger's ordered bindings",
                request: .body(
                    BindingsBody.self,
                    example: .object([
                        "bindings": .array([
                            .object([
                                "ref": .object(["type": "action_name", "value": "add-roles"]), "display_name": "add-roles",
                                "fail_open": false,
                            ])
                        ])
                    ])),
                response: .value(.object(["bindings": .array(Self.bindingSchema)], required: ["bindings"]))
            ) { request, context in
                let body = try await context.body(BindingsBody.self, from: request)
                let bindings = try await actions.replaceBindings(trigger: try context.parameter("triggerId"), with: body.bindings)
                return try JSONResponse.make(JSONValue.object(["bindings": .array(try await bindingViews(bindings))]))
            },
            ManagementEndpoint(
                .get, "/actions/executions/{id}", scope: "read:actions", tag: "actions",
                summary: "Get an execution: per-action results, stats and console output (kept 10 days)",
                response: .record(ExecutionRecord.self)
            ) { _, context in
                let id = try context.parameter("id")
                await recorder?.flush()
                guard let execution = try await actions.storage.read({ try await $0.observability.execution(id) }) else {
                    throw ActionsError.notFound("That execution does not exist.", code: "execution_not_found")
                }
                return try JSONResponse.make(execution)
            },
            ManagementEndpoint(
                .get, "/logs", scope: "read:logs", tag: "logs", summary: "Tenant log events, newest first (q: a search)",
                response: .list(key: "logs", item: .of(LogRecord.self)), query: ManagementSearch.parameters
            ) { request, _ in
                let query = try ListQuery(request)
                let search = try ManagementSearch.query(query.values, fields: .logs)
                await recorder?.flush()
                let page = try await actions.storage.read { repositories in
                    guard let search else { return try await repositories.observability.logs(query.page) }
                    return try await repositories.observability.logs(query.page) { search.matches($0, fields: .logs) }
                }
                return try query.response(page, key: "logs")
            },
            ManagementEndpoint(
                .get, "/logs/{id}", scope: "read:logs", tag: "logs", summary: "One tenant log event by its log_id",
                response: .value(.of(LogRecord.self))
            ) { _, context in
                let id = try context.parameter("id")
                await recorder?.flush()
                guard id.utf8.count <= 256, let log = try await actions.storage.read({ try await $0.observability.log(id) }) else {
                    throw ActionsError.notFound("The log event does not exist.", code: "inexistent_log")
                }
                return try JSONResponse.make(log)
            },
            ManagementEndpoint(
                .post, "/actions/actions/{id}/test", scope: "create:actions", tag: "actions",
                summary: "Run the draft against an event and return what it did, changing nothing",
                request: .body(TestBody.self, example: .object(["payload": .object([:])])),
                response: .value(.object(["payload": .map(.any)], required: ["payload"]))
            ) { request, context in
                let id = try context.parameter("id")
                let body = try await context.body(TestBody.self, from: request)
                return try JSONResponse.make(JSONValue.object(["payload": try await test(id, payload: body.payload)]))
            },
        ]
    }

    /// Runs the draft once in the sandbox with `payload` as the event.
    func test(_ id: String, payload: JSONValue) async throws -> JSONValue {
        let (action, _) = try await load(id)
        guard payload.objectValue != nil else { throw ActionsError.invalid("payload must be an event object.") }
        guard let pool = actions.sandbox else {
            throw ActionsError.invalid("The Actions sandbox is not running on this server (see its log).", code: "sandbox_unavailable")
        }
        let secrets = try await actions.storage.read { try await $0.actions.secrets(ofAction: id) }
        let started = ContinuousClock.now
        let result = try await pool.run(
            FlowRequest(
                trigger: action.content.supported_triggers.first?.id ?? "", event: payload,
                actions: [
                    ActionSource(
                        name: action.name, versionID: "draft:\(action.id):\(action.updated_at)", code: action.content.code,
                        secrets: secrets, nodeModules: action.node_modules, runtime: action.content.runtime)
                ]))
        let total = ContinuousClock.now - started
        var report = result.report.objectValue ?? [:]
        let actionMillis = result.actions.first?.duration_ms ?? 0
        let totalMillis = Double(total.components.seconds) * 1000 + Double(total.components.attoseconds) / 1e15
        report["stats"] = .object([
            "action_duration_ms": .number(actionMillis), "boot_duration_ms": .number(max(0, totalMillis - actionMillis)),
            "total_request_duration_ms": .number(totalMillis),
        ])
        return .object(report)
    }
}

extension ActionEndpoints.TestBody: SchemaRefined {
    /// The event is an object.
    static func refine(_ schema: JSONSchema) -> JSONSchema { schema.setting("payload", .map(.any)) }
}

extension ActionsService.BindingReference.Reference: SchemaRefined {
    static func refine(_ schema: JSONSchema) -> JSONSchema {
        schema.setting("type", .string(["action_id", "action_name", "binding_id"]))
    }
}
