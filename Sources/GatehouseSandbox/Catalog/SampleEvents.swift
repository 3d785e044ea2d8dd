import Foundation
import GatehouseCore

/// A complete sample event per trigger (`auth0-actions.md` §2), for the local runner and for
/// testing drafts without writing an event by hand.
public struct SampleEvents: Sendable {
    let events: [String: JSONValue]

    public static func bundled() throws -> SampleEvents {
        let url = SandboxResources.url("CatalogData/sample-events.json")
        guard FileManager.default.fileExists(atPath: url.path),
            let document = JSONValue(jsonText: String(decoding: try Data(contentsOf: url), as: UTF8.self))?.objectValue
        else { throw TriggerCatalog.Failure.missing }
        return SampleEvents(events: document)
    }

    public func event(for trigger: String) throws -> JSONValue {
        guard let event = events[trigger] else { throw TriggerCatalog.Failure.invalid("no sample event for \(trigger)") }
        return event
    }
}
