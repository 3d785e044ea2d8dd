import GatehouseActions
import GatehouseCore
import GatehouseSandbox
import Hummingbird

/// `GET /api/v2/actions/triggers/{triggerId}/catalog` — a Gatehouse extension (Auth0 has no such
/// endpoint): what an editor needs to complete and explain `event.` and `api.` for one trigger,
/// from the trigger catalog (`TriggerCatalog+Documentation.swift`): the handlers, each `event`
/// member with its type and one-line doc, each `api` method with its arguments and one-line doc,
/// and the trigger's sample event (the dashboard's test pane starts from it).
struct TriggerCatalogEndpoints {
    let catalog: TriggerCatalog

    var endpoints: [ManagementEndpoint] {
        [
            ManagementEndpoint(
                .get, "/actions/triggers/{triggerId}/catalog", scope: "read:actions", tag: "actions",
                summary: "Gatehouse: a trigger's event members and api methods with one-line docs (for editors)",
                response: .value(
                    .object(
                        [
                            "id": .string(), "version": .string(), "handlers": .any, "event": .any, "api": .any,
                            "sample_event": .any,
                        ],
                        required: ["id", "version", "handlers", "event", "api"]))
            ) { _, context in
                let trigger = try context.parameter("triggerId")
                guard let view = view(trigger) else {
                    throw ActionsError.notFound("The trigger \(trigger) does not exist.", code: "trigger_not_found")
                }
                return try JSONResponse.make(view)
            }
        ]
    }

    func view(_ id: String) -> JSONValue? {
        guard let trigger = catalog.trigger(id) else { return nil }
        let docs = catalog.apiDocumentation(id)
        let methods = catalog.runnerJSON["triggers"]?[id]?["api"]?.objectValue ?? [:]
        var api: [String: JSONValue] = [:]
        for (name, method) in methods {
            let arguments = (method["args"]?.arrayValue ?? []).map { argument in
                JSONValue.object([
                    "name": argument["name"] ?? .string("value"), "optional": .bool(argument["optional"]?.boolValue ?? false),
                ])
            }
            api[name] = .object(["doc": docs[name].map(JSONValue.string) ?? .null, "args": .array(arguments)])
        }
        var handlers: [String: JSONValue] = ["execute": .string(trigger.executeHandler)]
        if let resume = trigger.continueHandler { handlers["continue"] = .string(resume) }
        return .object([
            "id": .string(id), "version": .string(trigger.version), "handlers": .object(handlers),
            "event": catalog.eventDescription(id) ?? .object([:]), "api": .object(api),
            "sample_event": (try? SampleEvents.bundled().event(for: id)) ?? .object([:]),
        ])
    }
}
