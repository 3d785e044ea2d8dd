import Foundation
import GatehouseCore

/// Every trigger of the Actions contract, with the `api` methods each offers and their argument
/// rules (`auth0-actions.md` §1–§3): the one source the runner's `api` objects, the Management
/// API's `GET /actions/triggers`, the flow runner and the local runner read.
///
/// It is data, kept in `CatalogData/triggers.json` (a resource of this module) because the argument
/// rules are data the JavaScript runner interprets; Swift loads and checks it once and sends it
/// to every worker in the `init` frame.
public struct TriggerCatalog: Sendable {
    /// The document as sent to the runner: everything but the documentation.
    public let runnerJSON: JSONValue
    public let triggers: [String: Trigger]
    /// What the editor's completion and the docs read (`TriggerCatalog+Documentation.swift`):
    /// `event_objects`, `api_docs` and each trigger's `event`.
    let documentation: JSONValue

    public struct Trigger: Sendable, Equatable {
        public let id: String
        public let version: String
        /// `false` for async triggers (post-user-registration, …), whose outcome cannot change the operation.
        public let blocking: Bool
        public let executeHandler: String
        public let continueHandler: String?
        /// `api` method paths without the `api.` prefix (`idToken.setCustomClaim`).
        public let methods: Set<String>
        public let status: String
        public let runtimes: [String]
        public let defaultRuntime: String
        public let compatibleTriggers: [JSONValue]
        public let bindingPolicy: String
        /// How many actions may be bound at once (`max_bindings`; 1 for the custom e-mail and
        /// phone providers, whose one action delivers the message); `nil`: the general limit.
        public let maxBindings: Int?
    }

    public enum Failure: Error, CustomStringConvertible {
        case missing
        case invalid(String)

        public var description: String {
            switch self {
            case .missing: "the trigger catalog resource is missing from the build"
            case .invalid(let why): "the trigger catalog is invalid: \(why)"
            }
        }
    }

    /// The catalog shipped with the server.
    public static func bundled() throws -> TriggerCatalog {
        let url = SandboxResources.url("CatalogData/triggers.json")
        guard FileManager.default.fileExists(atPath: url.path)
        else { throw Failure.missing }
        return try TriggerCatalog(json: String(decoding: try Data(contentsOf: url), as: UTF8.self))
    }

    public init(json text: String) throws {
        guard let document = JSONValue(jsonText: text), let triggerObjects = document["triggers"]?.objectValue else {
            throw Failure.invalid("no \"triggers\" object")
        }
        var triggers: [String: Trigger] = [:]
        var runnerTriggers: [String: JSONValue] = [:]
        var events: [String: JSONValue] = [:]
        for (id, value) in triggerObjects {
            var runnerTrigger = value.objectValue ?? [:]
            events[id] = runnerTrigger.removeValue(forKey: "event")
            runnerTriggers[id] = .object(runnerTrigger)
            guard let execute = value["handlers"]?["execute"]?.stringValue else {
                throw Failure.invalid("trigger \(id) has no execute handler")
            }
            triggers[id] = Trigger(
                id: id, version: value["version"]?.stringValue ?? "v1", blocking: value["blocking"]?.boolValue ?? true,
                executeHandler: execute, continueHandler: value["handlers"]?["continue"]?.stringValue,
                methods: Set(value["api"]?.objectValue?.keys.map { $0 } ?? []),
                status: value["status"]?.stringValue ?? "CURRENT",
                runtimes: value["runtimes"]?.arrayValue?.compactMap(\.stringValue) ?? ["node18", "node22"],
                defaultRuntime: value["default_runtime"]?.stringValue ?? "node22",
                compatibleTriggers: value["compatible_triggers"]?.arrayValue ?? [],
                bindingPolicy: value["binding_policy"]?.stringValue ?? "trigger-bound",
                maxBindings: value["max_bindings"]?.numberValue.map { Int($0) })
        }
        var runnerDocument = document.objectValue ?? [:]
        runnerDocument["triggers"] = .object(runnerTriggers)
        let objects = runnerDocument.removeValue(forKey: "event_objects") ?? .object([:])
        let apiDocs = runnerDocument.removeValue(forKey: "api_docs") ?? .object([:])
        self.runnerJSON = .object(runnerDocument)
        self.triggers = triggers
        self.documentation = .object(["event_objects": objects, "api_docs": apiDocs, "events": .object(events)])
    }

    public func trigger(_ id: String) -> Trigger? { triggers[id] }
}
