import Foundation
import GatehouseCore
import GatehouseSandbox
import Testing

/// The trigger catalog documents what an editor completes: every member of every trigger's sample
/// event, and every `api` method, with a one-line doc (`TriggerCatalog+Documentation.swift`).
@Suite("Trigger catalog: every event member and api method has a one-line doc")
struct TriggerCatalogDocumentationTests {
    /// Paths in `value` that `description` (a member's fields) does not describe.
    static func undescribed(_ value: JSONValue, _ fields: [String: JSONValue], path: String) -> [String] {
        guard let object = value.objectValue else { return [] }
        var missing: [String] = []
        for (key, member) in object {
            let here = path.isEmpty ? key : path + "." + key
            guard let description = fields[key], description["doc"]?.stringValue?.isEmpty == false, description["type"] != nil
            else {
                missing.append(here)
                continue
            }
            if description["free"] == .bool(true) { continue }
            if let subfields = description["fields"]?.objectValue {
                missing += undescribed(member, subfields, path: here)
            }
            if let items = description["items"], let elements = member.arrayValue {
                for element in elements {
                    missing += undescribed(element, items["fields"]?.objectValue ?? [:], path: here + "[]")
                }
            }
        }
        return missing
    }

    @Test("each trigger's sample event is described member by member, nested objects and arrays included")
    func sampleEventsDescribed() throws {
        let catalog = try TriggerCatalog.bundled()
        let samples = try SampleEvents.bundled()
        for trigger in catalog.triggers.keys.sorted() {
            let description = try #require(catalog.eventDescription(trigger)?.objectValue, "\(trigger) has no event description")
            var event = try samples.event(for: trigger)
            // Added to every event when the flow runs (the action's own secrets).
            if var object = event.objectValue {
                object["secrets"] = .object(["API_KEY": "x"])
                event = .object(object)
            }
            #expect(Self.undescribed(event, description, path: "").isEmpty, "\(trigger): \(Self.undescribed(event, description, path: ""))")
        }
    }

    @Test("every api method of every trigger has a doc; the runner is not sent the docs")
    func apiDocumented() throws {
        let catalog = try TriggerCatalog.bundled()
        for (id, trigger) in catalog.triggers {
            let docs = catalog.apiDocumentation(id)
            #expect(Set(docs.keys) == trigger.methods, "\(id) lacks docs for \(trigger.methods.subtracting(docs.keys).sorted())")
        }
        #expect(catalog.runnerJSON["api_docs"] == nil && catalog.runnerJSON["event_objects"] == nil)
        #expect(catalog.runnerJSON["triggers"]?["post-login"]?["event"] == nil)
        #expect(catalog.runnerJSON["triggers"]?["post-login"]?["api"]?["idToken.setCustomClaim"] != nil)
    }

    @Test("GET /api/v2/actions/triggers/{id}/catalog: the members and methods an editor completes; 404 for an unknown trigger")
    func endpoint() async throws {
        try await TestServer.run { client in
            let fixtures = try await Fixtures.make(client)
            let reply = try await client.json(.get, "/api/v2/actions/triggers/post-login/catalog", token: fixtures.token)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["handlers"]?["continue"] == "onContinuePostLogin")
            let email = reply.json["event"]?["user"]?["fields"]?["email"]
            #expect(email?["type"] == "string" && email?["doc"]?.stringValue?.isEmpty == false, "\(reply.text.prefix(400))")
            let claim = reply.json["api"]?["idToken.setCustomClaim"]
            #expect(claim?["args"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["key", "value"])
            #expect(claim?["doc"]?.stringValue?.contains("ID token") == true)
            let m2m = try await client.json(.get, "/api/v2/actions/triggers/credentials-exchange/catalog", token: fixtures.token)
            #expect(m2m.json["event"]?["user"] == nil && m2m.json["event"]?["accessToken"]?["fields"]?["scope"]?["type"] == "array")
            let unknown = try await client.json(.get, "/api/v2/actions/triggers/nope/catalog", token: fixtures.token)
            #expect(unknown.status == .notFound && unknown.json["errorCode"] == "trigger_not_found")
            #expect(try await client.json(.get, "/api/v2/actions/triggers/post-login/catalog").status == .unauthorized)
        }
    }
}
